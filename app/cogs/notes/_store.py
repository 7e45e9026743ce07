"""Note data of the bound guild. Call every function inside ``async with guild_db(guild_id):``."""

from __future__ import annotations

from datetime import UTC, datetime

from app.models.tenant import Note


async def add(target_user_id: int, author_id: int, content: str) -> Note:
    """Record a note about a member."""
    return await Note.create(target_user_id=target_user_id, author_id=author_id, content=content)


async def about(target_user_id: int, limit: int) -> tuple[list[Note], int]:
    """The newest ``limit`` notes about a member, and how many there are in all."""
    return await page_about(target_user_id, 0, limit)


async def remove(note_id: int) -> bool:
    """Delete a note; False if there is no such note."""
    return bool(await Note.filter(id=note_id).delete())


async def edit(note_id: int, content: str) -> Note | None:
    """Replace a note's content (its author stays); None if there is no such note."""
    if not await Note.filter(id=note_id).update(content=content, edited_at=datetime.now(UTC)):
        return None
    return await Note.get_or_none(id=note_id)


async def page_about(target_user_id: int, offset: int, limit: int) -> tuple[list[Note], int]:
    """``limit`` notes about a member from ``offset`` on, newest first, and how many in all."""
    query = Note.filter(target_user_id=target_user_id)
    notes = await query.order_by("-created_at", "-id").offset(offset).limit(limit)
    return notes, await query.count()
