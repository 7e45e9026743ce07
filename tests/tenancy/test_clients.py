"""The per-guild client LRU: bounded connections, leases, eviction, idle reaping, counters."""

from __future__ import annotations

import asyncio

from tortoise import connections

from app.models.tenant import Member
from app.tenancy import guild_db
from app.tenancy.clients import ClientCache
from app.tenancy.runtime import GUILD_APPLICATION_NAME


async def _guild_connections() -> int:
    rows = await connections.get("shared").execute_query_dict(
        "SELECT count(*) AS n FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name = $1",
        [GUILD_APPLICATION_NAME],
    )
    return int(rows[0]["n"])


async def test_lru_stays_within_budget_under_load(tenancy, provisioned) -> None:
    """50 concurrent tasks over 200 guilds never exceed capacity * pool_max connections."""
    guilds = [await provisioned() for _ in range(200)]
    budget = tenancy.clients.capacity * tenancy.pool_max
    peak = 0
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, await _guild_connections())
            peak = max(peak, tenancy.clients.stats().open_connections)
            await asyncio.sleep(0.005)

    async def worker(n: int) -> None:
        # Each worker touches 4 guilds (together: all 200), each twice in a row, as a
        # member's command followed by their next message would.
        for i in range(4):
            guild_id = guilds[(n * 4 + i) % len(guilds)]
            for xp in (i, i + 1):
                async with guild_db(guild_id):
                    await Member.update_or_create(user_id=n, defaults={"xp": xp})

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(worker(n) for n in range(50)))
    done.set()
    await sampler
    stats = tenancy.clients.stats()
    assert 0 < peak <= budget
    assert stats.cached_clients <= tenancy.clients.capacity
    assert stats.misses > 0 and stats.evictions > 0 and stats.hits > 0
    assert await _guild_connections() <= budget


async def test_eviction_never_closes_a_leased_client(tenancy, provisioned) -> None:
    """A client evicted while a command uses it finishes the command, then closes."""
    guild_id = await provisioned()
    started = asyncio.Event()

    async def long_command() -> int:
        async with guild_db(guild_id) as conn:
            await Member.create(user_id=1)
            started.set()
            await conn.execute_query("SELECT pg_sleep(0.3)")
            return await Member.all().count()

    task = asyncio.create_task(long_command())
    await started.wait()
    await tenancy.clients.evict(guild_id)  # e.g. a status change from another process
    assert guild_id not in tenancy.clients.cached_guilds()
    assert await task == 1
    # The drained client is closed once released: nothing left open for it.
    assert tenancy.clients.stats().leased_clients == 0


async def test_lru_waits_instead_of_exceeding_capacity(tenancy, provisioned) -> None:
    """When every slot is leased, a new guild waits for a release rather than over-allocating."""
    cache = ClientCache(tenancy.new_client, capacity=2, idle_seconds=60)
    a, b, c = [await provisioned() for _ in range(3)]
    try:
        client_a = await cache.acquire(a)
        await cache.acquire(b)
        waiting = asyncio.create_task(cache.acquire(c))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await cache.release(a, client_a)
        client_c = await asyncio.wait_for(waiting, 2)
        assert cache.cached_guilds() == [b, c]
        await cache.release(c, client_c)
        assert cache.stats().evictions == 1
        assert cache.stats().cached_clients == 2
    finally:
        await cache.close()


async def test_idle_clients_are_reaped(tenancy, provisioned) -> None:
    """A client unused for longer than the idle timeout is closed and its connections go."""
    cache = ClientCache(tenancy.new_client, capacity=4, idle_seconds=0.1)
    guild_id = await provisioned()
    before = await _guild_connections()
    try:
        client = await cache.acquire(guild_id)
        await client.execute_query("SELECT 1")
        await cache.release(guild_id, client)
        assert await _guild_connections() == before + 1
        cache.start_reaper(interval=0.05)
        for _ in range(100):
            if not cache.cached_guilds():
                break
            await asyncio.sleep(0.02)
        assert cache.cached_guilds() == []
        # A closed backend leaves pg_stat_activity a moment later.
        for _ in range(100):
            if await _guild_connections() == before:
                break
            await asyncio.sleep(0.02)
        assert await _guild_connections() == before
    finally:
        await cache.close()


async def test_counters_count_hits_and_misses(tenancy, provisioned) -> None:
    """A first use is a miss, the next a hit."""
    guild_id = await provisioned()
    before = tenancy.clients.stats()
    async with guild_db(guild_id):
        await Member.all().count()
    async with guild_db(guild_id):
        await Member.all().count()
    after = tenancy.clients.stats()
    assert after.misses - before.misses == 1
    assert after.hits - before.hits == 1
    assert after.open_connections >= 1
