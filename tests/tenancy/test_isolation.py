"""What one guild writes is invisible to another, through every ORM path, on both tiers.

The paths are the ones where Tortoise silently falls back to the static "tenant" connection
(docs/library-behaviour.md, "Tortoise: silent fallbacks").
"""

from __future__ import annotations

import pytest
from tortoise.exceptions import OperationalError
from tortoise.query_utils import Prefetch
from tortoise.transactions import in_transaction

from app.models.tenant import Member, Tag
from app.tenancy import guild_db
from tests.tenancy.relation_models import Book, Label, Shelf


async def _tag(name: str, content: str = "text") -> Tag:
    return await Tag.create(name=name, name_key=name.casefold(), content=content, author_id=1)


@pytest.fixture(params=["pinned", "shared"])
async def two_guilds(request, provisioned, tenancy, monkeypatch) -> tuple[int, int]:
    """Guilds A and B, both served by the pinned tier or both by the shared tier."""
    a, b = await provisioned("A"), await provisioned("B")
    if request.param == "pinned":
        assert await tenancy.connections.pin(a) and await tenancy.connections.pin(b)
    else:
        monkeypatch.setattr(tenancy.connections.pinned, "capacity", 0)  # no promotions
    return a, b


async def test_unbound_tenant_query_raises(tenancy) -> None:
    """A tenant query outside any binding fails instead of reaching some guild."""
    with pytest.raises(OperationalError, match="does not exist"):
        await Tag.all()


async def test_filter_and_get_see_only_own_guild(two_guilds) -> None:
    """filter/get/count in guild B do not see guild A's rows."""
    a, b = two_guilds
    async with guild_db(a):
        await _tag("alpha")
    async with guild_db(b):
        assert await Tag.filter(name_key="alpha").count() == 0
        assert await Tag.get_or_none(name_key="alpha") is None
    async with guild_db(a):
        assert (await Tag.get(name_key="alpha")).name == "alpha"


async def test_instance_save_delete_refresh_use_bound_guild(two_guilds) -> None:
    """An object loaded in A and saved/deleted/refreshed while B is bound touches B only."""
    a, b = two_guilds
    async with guild_db(a):
        tag_a = await _tag("same", "from A")
    async with guild_db(b):
        tag_b = await _tag("same", "from B")
    # The verified leak: same id in two guilds; saving A's object while B is bound.
    async with guild_db(b):
        tag_a.content = "written while B bound"
        await tag_a.save()
    async with guild_db(a):
        assert (await Tag.get(id=tag_a.id)).content == "from A"
    async with guild_db(a):
        await tag_a.refresh_from_db()
        assert tag_a.content == "from A"
        await tag_a.delete()
        assert await Tag.filter(id=tag_a.id).count() == 0
    async with guild_db(b):
        assert await Tag.filter(id=tag_b.id).exists()


async def test_relations_and_prefetch_stay_in_guild(two_guilds) -> None:
    """Awaiting FKs, reverse relations, M2M add/remove and Prefetch use the bound guild."""
    a, b = two_guilds
    async with guild_db(a):
        shelf = await Shelf.create(title="A shelf")
        book = await Book.create(title="A book", shelf=shelf)
        label = await Label.create(text="A label")
        await book.labels.add(label)
        await shelf.books.create(title="A second book")
    async with guild_db(b):
        other = await Shelf.create(title="B shelf")
        assert await other.books.all() == []
        assert await Book.all().count() == 0
        assert await Label.all().count() == 0
    async with guild_db(a):
        book = await Book.get(title="A book")
        assert (await book.shelf).title == "A shelf"
        assert [lab.text for lab in await book.labels.all()] == ["A label"]
        shelves = await Shelf.all().prefetch_related(
            Prefetch("books", queryset=Book.filter(title__startswith="A"))
        )
        assert sorted(b.title for b in shelves[0].books) == ["A book", "A second book"]
        await book.labels.remove(label)
        assert await book.labels.all().count() == 0


async def test_get_or_create_and_update_or_create_use_bound_guild(two_guilds) -> None:
    """get_or_create/update_or_create resolve the connection by name: still the bound guild."""
    a, b = two_guilds
    async with guild_db(a):
        member, created = await Member.get_or_create(user_id=42, defaults={"xp": 10})
        assert created
    async with guild_db(b):
        member_b, created_b = await Member.get_or_create(user_id=42, defaults={"xp": 99})
        assert created_b and member_b.xp == 99
        await Member.update_or_create(user_id=42, defaults={"xp": 100})
    async with guild_db(a):
        assert (await Member.get(user_id=42)).xp == 10


async def test_bulk_operations_stay_in_guild(two_guilds) -> None:
    """bulk_create, bulk update and queryset delete touch the bound guild only."""
    a, b = two_guilds
    async with guild_db(a):
        await Member.bulk_create([Member(user_id=i) for i in range(1, 6)])
    async with guild_db(b):
        await Member.bulk_create([Member(user_id=i) for i in range(1, 3)])
        await Member.all().update(xp=7)
        await Member.filter(user_id=1).delete()
        assert await Member.all().count() == 1
    async with guild_db(a):
        assert await Member.all().count() == 5
        assert await Member.filter(xp=7).count() == 0


async def test_transaction_rollback_stays_in_guild(two_guilds) -> None:
    """in_transaction on the tenant alias runs on the bound guild and really rolls back."""
    a, b = two_guilds

    class Boom(Exception):
        pass

    async with guild_db(a):
        with pytest.raises(Boom):
            async with in_transaction("tenant"):
                await _tag("rolled-back")
                raise Boom
        assert await Tag.filter(name_key="rolled-back").count() == 0
        async with in_transaction("tenant"):
            await _tag("kept")
    async with guild_db(b):
        assert await Tag.filter(name_key="kept").count() == 0


async def test_concurrent_tasks_keep_their_own_binding(two_guilds) -> None:
    """Two tasks bound to different guilds at once never see each other's rows."""
    import asyncio

    a, b = two_guilds

    async def write_and_count(guild_id: int, n: int) -> int:
        async with guild_db(guild_id):
            for i in range(n):
                await Member.create(user_id=1000 + i)
                await asyncio.sleep(0)
            return await Member.filter(user_id__gte=1000).count()

    counts = await asyncio.gather(write_and_count(a, 7), write_and_count(b, 3))
    assert counts == [7, 3]


async def test_binding_is_reset_after_the_block(two_guilds) -> None:
    """After the block (even on error) tenant queries are unbound again."""
    a, _ = two_guilds
    with pytest.raises(RuntimeError):
        async with guild_db(a):
            raise RuntimeError("command failed")
    with pytest.raises(OperationalError):
        await Tag.all()
