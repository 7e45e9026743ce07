"""Nothing a lease does to its connection survives into the next lease, on either tier.

Each test runs on a layer of ONE shared connection and ONE pinned slot of one connection, so
the next lease is guaranteed to get the very connection the previous lease changed.
"""

from __future__ import annotations

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from app.models.tenant import Member, Tag
from app.tenancy import guild_db
from app.tenancy.connections.budget import ConnectionBudget
from app.tenancy.connections.config import TENANT_ALIAS
from app.tenancy.connections.router import GuildConnections
from app.tenancy.connections.shared_tier import SharedTier
from app.tenancy.naming import schema_for

pytestmark = pytest.mark.parametrize("tier", ["pinned", "shared"])


@pytest.fixture
async def one_connection(tenancy, monkeypatch):
    """Swap in a connection layer of one shared connection and one pinned connection."""
    budget = ConnectionBudget(
        total=5, registry_pool=1, shared_tier=1, pinned_slots=1, pinned_pool_max=1
    )
    layer = GuildConnections.create(
        budget,
        SharedTier(tenancy.address, size=1),
        tenancy.new_client,
        tenancy.role_for,
        idle_seconds=60,
    )
    await layer.start(reap_every=60)
    monkeypatch.setattr(tenancy, "connections", layer)
    try:
        yield layer
    finally:
        await layer.close()


@pytest.fixture
async def two_guilds(provisioned, one_connection, tier):
    """Guilds A and B; A pinned when testing the pinned tier."""
    a, b = await provisioned(), await provisioned()
    if tier == "pinned":
        assert await one_connection.pin(a)
    return a, b


async def _backend_pid(guild_id: int) -> int:
    async with guild_db(guild_id) as conn:
        return int((await conn.execute_query_dict("SELECT pg_backend_pid() AS pid"))[0]["pid"])


async def test_set_search_path_does_not_survive_the_lease(two_guilds) -> None:
    """SET search_path to another guild inside a lease: the next lease is back on its own."""
    a, b = two_guilds
    async with guild_db(a) as conn:
        await conn.execute_script(f'SET search_path TO "{schema_for(b)}"')
    async with guild_db(a) as conn:
        rows = await conn.execute_query_dict("SELECT current_schemas(false) AS path")
    assert rows[0]["path"] == [schema_for(a)]


async def test_set_role_does_not_survive_the_lease(two_guilds, tenancy) -> None:
    """SET ROLE inside a lease: the next lease runs as the connection's own user again."""
    a, _ = two_guilds
    role = f"{tenancy.address.database}_lease_role"
    admin = await asyncpg.connect(tenancy.address.dsn)
    await admin.execute(f'CREATE ROLE "{role}" NOLOGIN')
    try:
        async with guild_db(a) as conn:
            login = (await conn.execute_query_dict("SELECT current_user AS u"))[0]["u"]
            await conn.execute_script(f'SET ROLE "{role}"')
        async with guild_db(a) as conn:
            rows = await conn.execute_query_dict("SELECT current_user AS u")
        assert rows[0]["u"] == login
    finally:
        await admin.execute(f'DROP ROLE "{role}"')
        await admin.close()


async def test_a_temporary_table_never_shadows_the_next_lease(two_guilds) -> None:
    """CREATE TEMP TABLE tag in one lease: the next lease reads and writes the real table."""
    a, _ = two_guilds
    async with guild_db(a) as conn:
        await Tag.create(name="real", name_key="real", content="c", author_id=1)
        await conn.execute_script("CREATE TEMP TABLE tag (LIKE tag)")
        assert await Tag.all().count() == 0  # shadowed inside the lease that made it
    async with guild_db(a):
        await Tag.create(name="second", name_key="second", content="c", author_id=1)
        assert await Tag.all().count() == 2


async def test_discard_all_does_not_break_the_next_lease(two_guilds) -> None:
    """DISCARD ALL drops asyncpg's prepared statements: the next lease still works."""
    a, _ = two_guilds
    async with guild_db(a) as conn:
        await Member.all().count()  # a cached prepared statement
        await conn.execute_script("DISCARD ALL")
    for _ in range(3):
        async with guild_db(a):
            assert await Member.all().count() == 0


async def test_an_open_transaction_is_rolled_back_not_carried(two_guilds) -> None:
    """A raw BEGIN left open by a lease: its writes are rolled back, the next lease is clean."""
    a, _ = two_guilds
    async with guild_db(a) as conn:
        await conn.execute_script("BEGIN")
        await Member.create(user_id=7)
    async with guild_db(a) as conn:
        assert await Member.filter(user_id=7).count() == 0
        assert not conn._connection.is_in_transaction()


async def test_prepared_statements_do_not_survive_the_lease(two_guilds) -> None:
    """PREPARE inside a lease: the name is free again in the next lease."""
    a, _ = two_guilds
    async with guild_db(a) as conn:
        await conn.execute_script("PREPARE mine AS SELECT 1")
    async with guild_db(a) as conn:
        await conn.execute_script("PREPARE mine AS SELECT 2")  # no "already exists"


async def test_the_statement_cache_is_safe_across_schemas(two_guilds, tier) -> None:
    """The same ORM query alternating between guilds returns each guild's own rows."""
    a, b = two_guilds
    for guild_id in (a, b):
        async with guild_db(guild_id):
            await Tag.create(name="x", name_key="x", content=f"of {guild_id}", author_id=1)
    if tier == "shared":
        assert await _backend_pid(b) == await _backend_pid(b)  # one connection for both
    for _ in range(5):
        for guild_id in (a, b):
            async with guild_db(guild_id):
                assert (await Tag.get(name_key="x")).content == f"of {guild_id}"


async def test_a_table_changed_mid_run_is_reread_not_an_error(two_guilds, tenancy) -> None:
    """A column added to one guild between leases: cached statements are re-planned."""
    a, b = two_guilds
    admin = await asyncpg.connect(tenancy.address.dsn)
    try:
        for guild_id in (a, b, a):
            async with guild_db(guild_id) as conn:
                await conn.execute_query_dict("SELECT * FROM member")
                await Member.all().count()
        await admin.execute(f'ALTER TABLE "{schema_for(a)}".member ADD COLUMN extra int')
        for guild_id in (a, b, a, b):
            async with guild_db(guild_id) as conn:
                rows = await conn.execute_query_dict("SELECT * FROM member")
                assert rows == []
                async with in_transaction(TENANT_ALIAS):
                    assert await Member.all().count() == 0
    finally:
        await admin.execute(f'ALTER TABLE "{schema_for(a)}".member DROP COLUMN IF EXISTS extra')
        await admin.close()
