"""Note data of the bound guild. Call every function inside ``async with guild_db(guild_id):``."""

from __future__ import annotations

from app.models.tenant import Note


async def add(target_user_id: int, author_id: int, content: str) -> Note:
    """Record a note about a member."""
    return await Note.create(target_user_id=target_user_id, author_id=author_id, content=content)


async def about(target_user_id: int, limit: int) -> tuple[list[Note], int]:
    """The newest ``limit`` notes about a member, and how many there are in all."""
    query = Note.filter(target_user_id=target_user_id)
    notes = await query.order_by("-created_at", "-id").limit(limit)
    return notes, await query.count()


async def remove(note_id: int) -> bool:
    """Delete a note; False if there is no such note."""
    return bool(await Note.filter(id=note_id).delete())
