"""Aliases, search and pages of the bound guild's tags. Call every function inside
``async with guild_db(guild_id):``. Tag names and aliases share one namespace: a name is
either a tag's or an alias's, never both (checked on both sides, see :func:`name_taken`)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery

from app.cogs.tags._rules import name_key
from app.models.tenant import Tag, TagAlias


async def name_taken(name: str) -> bool:
    """Whether ``name`` (any case) is already a tag's name or an alias."""
    key = name_key(name)
    return await Tag.exists(name_key=key) or await TagAlias.exists(name_key=key)


async def resolve(name: str) -> Tag | None:
    """The tag called ``name``, directly or through an alias."""
    key = name_key(name)
    found = await Tag.get_or_none(name_key=key)
    if found is not None:
        return found
    alias = await TagAlias.get_or_none(name_key=key)
    return None if alias is None else await Tag.get_or_none(id=alias.tag_id)


async def use_alias(name: str) -> Tag | None:
    """The tag an alias points to, with its use counted, or None if ``name`` is no alias."""
    alias = await TagAlias.get_or_none(name_key=name_key(name))
    if alias is None or not await Tag.filter(id=alias.tag_id).update(uses=F("uses") + 1):
        return None
    return await Tag.get_or_none(id=alias.tag_id)


async def add_alias(tag: Tag, alias: str, author_id: int) -> bool:
    """Make ``alias`` another name for ``tag``; False if the name is taken."""
    if await name_taken(alias):
        return False
    try:
        await TagAlias.create(
            name=alias, name_key=name_key(alias), tag_id=tag.id, author_id=author_id
        )
    except IntegrityError:
        return False  # another alias of that name was created meanwhile
    return True


async def aliases_of(tag_id: int) -> list[str]:
    """A tag's aliases, alphabetically."""
    names = await TagAlias.filter(tag_id=tag_id).order_by("name_key").values_list("name", flat=True)
    return [str(name) for name in names]


async def search(query: str, limit: int) -> tuple[list[Tag], int]:
    """Tags whose name, an alias or content holds ``query`` (any case): the first ``limit``
    alphabetically, and how many match in all."""
    key = name_key(query)
    aliased = Subquery(TagAlias.filter(name_key__contains=key).values("tag_id"))
    matching = Tag.filter(
        Q(name_key__contains=key) | Q(content__icontains=query) | Q(id__in=aliased)
    )
    return await matching.order_by("name_key").limit(limit), await matching.count()
