"""What /tag list, /tag search and /tag info show."""

from __future__ import annotations

from typing import Any

import disnake

from app.cogs import _paging as paging
from app.cogs._common import AnyInter, shown, tr
from app.cogs.tags import _store as tags
from app.models.privacy import GHOST_USER_ID
from app.models.tenant import Tag
from app.tenancy import guild_db

#: Names per /tag list page: 20 of the longest names (64 characters) still fit one message.
PAGE_SIZE = 20
#: Characters of names a reply shows (a message holds 2,000: the rest is for the sentence).
NAMES_BUDGET = 1700
#: Matches /tag search shows.
SEARCH_LIMIT = 25
LIST_KIND = "tags"


def fit_names(found: list[Tag], budget: int) -> list[str]:
    """As many tag names (as inline code) as fit in ``budget`` characters, in order."""
    names: list[str] = []
    used = 0
    for tag in found:
        name = f"`{tag.name}`" if "`" not in tag.name else shown(tag.name)
        used += len(name) + 2
        if used > budget:
            break
        names.append(name)
    return names


def names_text(inter: AnyInter, found: list[Tag], total: int) -> str:
    """Names as inline code, with "…and n more" when some did not fit or were not read."""
    names = fit_names(found, NAMES_BUDGET)
    text = ", ".join(names)
    if total > len(names) and len(names) < len(found):
        text += "\n" + tr(inter, "tag.list_more", count=len(found) - len(names))
    return text


async def list_page(inter: AnyInter, guild_id: int, page: int) -> dict[str, Any]:
    """The /tag list message showing ``page`` (clamped to the pages there are now)."""
    async with guild_db(guild_id):
        found, total = await tags.listing(PAGE_SIZE, page * PAGE_SIZE)
        if not found and total:  # tags were deleted under a click: show the last page
            page = paging.clamp(page, total, PAGE_SIZE)
            found, total = await tags.listing(PAGE_SIZE, page * PAGE_SIZE)
    if not found:
        return {"content": tr(inter, "tag.list_empty"), "components": []}
    text = tr(inter, "tag.list", count=total, names=names_text(inter, found, len(found)))
    buttons = paging.buttons(inter, LIST_KIND, page, paging.page_count(total, PAGE_SIZE))
    return {"content": text, "components": buttons}


def search_results(inter: AnyInter, query: str, found: list[Tag], total: int) -> str:
    """The /tag search reply."""
    if not found:
        return tr(inter, "tag.search_none", query=shown(query))
    text = tr(inter, "tag.search", query=shown(query), count=total,
              names=names_text(inter, found, len(found)))  # fmt: skip
    if total > len(found):
        text += "\n" + tr(inter, "tag.search_more", count=total - len(found))
    return text


def describe(inter: AnyInter, tag: Tag, names: list[str]) -> disnake.Embed:
    """The /tag info embed: author, uses, created, aliases."""
    author = (
        tr(inter, "note.deleted_user") if tag.author_id == GHOST_USER_ID else f"<@{tag.author_id}>"
    )
    embed = disnake.Embed(title=tag.name)
    embed.add_field(tr(inter, "tag.info_author"), author)
    embed.add_field(tr(inter, "tag.info_uses"), str(tag.uses))
    embed.add_field(tr(inter, "tag.info_created"), f"<t:{int(tag.created_at.timestamp())}:D>")
    embed.add_field(
        tr(inter, "tag.info_aliases"),
        ", ".join(f"`{a}`" if "`" not in a else shown(a) for a in names)
        or tr(inter, "tag.info_no_aliases"),
        inline=False,
    )
    return embed
