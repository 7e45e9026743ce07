"""The tag store and tag rules, directly against a provisioned guild."""

from __future__ import annotations

import asyncio

import pytest

from app.cogs.tags import _store as tags
from app.cogs.tags._rules import check_content, check_name, name_key
from app.i18n import UserFacingError
from app.models.tenant import Tag
from app.tenancy import guild_db


async def test_create_refuses_the_same_name_in_another_case(guild_id: int) -> None:
    """The casefolded key is unique: a second create returns None and stores nothing."""
    async with guild_db(guild_id):
        first = await tags.create("Straße", "one", author_id=1)
        second = await tags.create("STRASSE", "two", author_id=2)
        assert first is not None
        assert first.name_key == "strasse"
        assert second is None
        assert await Tag.all().count() == 1


async def test_use_counts_every_concurrent_show(guild_id: int) -> None:
    """Twenty shows racing each add one use (an atomic UPDATE, no lost increments)."""
    async with guild_db(guild_id):
        await tags.create("hot", "x", author_id=1)

    async def show() -> Tag | None:
        async with guild_db(guild_id):
            return await tags.use("HOT")

    shown = await asyncio.gather(*(show() for _ in range(20)))
    assert all(tag is not None for tag in shown)
    async with guild_db(guild_id):
        assert (await Tag.get(name_key="hot")).uses == 20
        assert await tags.use("cold") is None


async def test_names_starting_with_treats_wildcards_literally(guild_id: int) -> None:
    """Autocomplete prefixes are literal text: % and _ match only themselves."""
    async with guild_db(guild_id):
        for name in ("100%", "1000", "a_b", "axb"):
            await tags.create(name, "x", author_id=1)
        assert await tags.names_starting_with("100%") == ["100%"]
        assert await tags.names_starting_with("a_") == ["a_b"]
        # An empty prefix offers everything (in the database's collation order).
        assert sorted(await tags.names_starting_with("")) == ["100%", "1000", "a_b", "axb"]


async def test_edit_and_delete_report_missing_tags(guild_id: int) -> None:
    """Editing or deleting a tag that is gone returns False and changes nothing."""
    async with guild_db(guild_id):
        tag = await tags.create("t", "old", author_id=1)
        assert tag is not None
        assert await tags.edit(tag.id, "new")
        assert (await Tag.get(id=tag.id)).content == "new"
        assert await tags.delete(tag.id)
        assert not await tags.delete(tag.id)
        assert not await tags.edit(tag.id, "again")


async def test_listing_returns_a_page_and_the_total(guild_id: int) -> None:
    """Listing is alphabetical by key and reports how many tags exist in all."""
    async with guild_db(guild_id):
        for name in ("c", "B", "a"):
            await tags.create(name, "x", author_id=1)
        page, total = await tags.listing(2)
    assert ([t.name for t in page], total) == (["a", "B"], 3)


def test_check_name_strips_and_keeps_unicode() -> None:
    """Names keep their case and accents; surrounding spaces go; emoji are fine."""
    assert check_name("  Règles 📜 ") == "Règles 📜"
    assert name_key("Règles") == "règles"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "tag.name_empty"),
        (" \u3000 ", "tag.name_empty"),
        ("x" * 65, "tag.name_too_long"),
        ("a\nb", "tag.name_control"),
        ("a\x00b", "tag.name_control"),
        ("a\u2028b", "tag.name_control"),
    ],
)
def test_check_name_refuses_bad_names(raw: str, key: str) -> None:
    """Empty, over-long and control-character names are refused with a message key."""
    with pytest.raises(UserFacingError) as refused:
        check_name(raw)
    assert refused.value.key == key


def test_check_content_limits() -> None:
    """Content must not be blank and is at most 2000 characters."""
    assert check_content(" hi ") == "hi"
    assert check_content("c" * 2000) == "c" * 2000
    for raw, key in (("  ", "tag.content_empty"), ("c" * 2001, "tag.content_too_long")):
        with pytest.raises(UserFacingError) as refused:
            check_content(raw)
        assert refused.value.key == key
