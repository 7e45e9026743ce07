"""What /note list shows: a member's notes, four a page, newest first, paged with buttons."""

from __future__ import annotations

from typing import Any

import disnake

from app.cogs import _paging as paging
from app.cogs._common import AnyInter, shown, tr
from app.cogs.notes import _store as notes
from app.models.privacy import GHOST_USER_ID
from app.models.tenant import Note
from app.tenancy import guild_db

#: Notes a page: four notes of up to SHOWN_MAX characters (markdown escaped) fit the 4,096
#: characters of an embed description with their headers.
PAGE_SIZE = 4
SHOWN_MAX = 850
KIND = "notes"


def describe(inter: AnyInter, note: Note) -> str:
    """One note as a few lines of the /note list embed."""
    author = (
        tr(inter, "note.deleted_user")
        if note.author_id == GHOST_USER_ID
        else f"<@{note.author_id}>"
    )
    stamp = int(note.created_at.timestamp())
    header = tr(inter, "note.line", id=note.id, author=author, when=f"<t:{stamp}:d>")
    if note.edited_at is not None:
        header += tr(inter, "note.edited_mark", when=f"<t:{int(note.edited_at.timestamp())}:d>")
    text = shown(note.content)
    if len(text) > SHOWN_MAX:
        text = text[:SHOWN_MAX].rstrip("\\") + "…"
    return f"{header}\n> {text}"


async def list_message(
    inter: AnyInter, guild_id: int, target_id: int, page: int, title: str
) -> dict[str, Any] | None:
    """The /note list message for ``page`` (clamped), or None when there are no notes."""
    async with guild_db(guild_id):
        found, total = await notes.page_about(target_id, page * PAGE_SIZE, PAGE_SIZE)
        if not found and total:  # notes were removed under a click: show the last page
            page = paging.clamp(page, total, PAGE_SIZE)
            found, total = await notes.page_about(target_id, page * PAGE_SIZE, PAGE_SIZE)
    if not found:
        return None
    embed = disnake.Embed(
        title=title, description="\n\n".join(describe(inter, note) for note in found)
    )
    first = page * PAGE_SIZE + 1
    embed.set_footer(
        text=tr(inter, "note.list_footer", first=first, last=first + len(found) - 1, total=total)
    )
    pages = paging.page_count(total, PAGE_SIZE)
    return {"embed": embed, "components": paging.buttons(inter, KIND, page, pages, target_id)}
