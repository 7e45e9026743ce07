"""Tag data of the bound guild. Call every function inside ``async with guild_db(guild_id):``."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from app.cogs.tags._rules import name_key
from app.models.tenant import Tag, TagAlias

#: Discord shows at most 25 autocomplete choices.
AUTOCOMPLETE_LIMIT = 25


async def create(name: str, content: str, author_id: int) -> Tag | None:
    """A new tag, or None when the name (case-insensitively) is taken, by a tag or an alias."""
    if await TagAlias.exists(name_key=name_key(name)):
        return None
    try:
        return await Tag.create(
            name=name, name_key=name_key(name), content=content, author_id=author_id
        )
    except IntegrityError:
        # The unique name_key settles races between two creators; no constraint name is
        # inspected (Citus reports none: docs/library-behaviour.md, "Citus: schema-based
        # sharding").
        return None


async def get(name: str) -> Tag | None:
    """The tag called ``name`` (any case), or None."""
    return await Tag.get_or_none(name_key=name_key(name))


async def use(name: str) -> Tag | None:
    """The tag called ``name`` with its use counted, or None."""
    # One atomic UPDATE: concurrent shows each add one, none is lost.
    if not await Tag.filter(name_key=name_key(name)).update(uses=F("uses") + 1):
        return None
    return await Tag.get_or_none(name_key=name_key(name))


async def edit(tag_id: int, content: str) -> bool:
    """Replace a tag's content; False if it no longer exists."""
    updated = await Tag.filter(id=tag_id).update(content=content, updated_at=datetime.now(UTC))
    return bool(updated)


async def delete(tag_id: int) -> bool:
    """Delete a tag; False if it no longer exists."""
    return bool(await Tag.filter(id=tag_id).delete())


async def names_starting_with(prefix: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[str]:
    """Tag names beginning with ``prefix`` (any case), alphabetically."""
    query = Tag.filter(name_key__startswith=name_key(prefix)) if prefix else Tag.all()
    names = await query.order_by("name_key").limit(limit).values_list("name", flat=True)
    return [str(name) for name in names]


async def listing(limit: int, offset: int = 0) -> tuple[list[Tag], int]:
    """``limit`` tags alphabetically from ``offset`` on, and how many there are in all."""
    tags = await Tag.all().order_by("name_key").offset(offset).limit(limit)
    return tags, await Tag.all().count()
