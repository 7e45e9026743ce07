"""The two connection tiers: budget under load, frequency admission, leases, reaping, counters."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from tortoise import connections

from app.models.tenant import Member
from app.tenancy import guild_db
from app.tenancy.connections.leased import LeaseEnded
from app.tenancy.connections.shared_tier import SHARED_TIER_APPLICATION_NAME
from app.tenancy.registry.runtime import GUILD_APPLICATION_NAME


async def _backends(*application_names: str) -> int:
    """This database's server connections opened under any of ``application_names``."""
    rows = await connections.get("shared").execute_query_dict(
        "SELECT count(*) AS n FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name = ANY($1)",
        [list(application_names)],
    )
    return int(rows[0]["n"])


async def _guild_connections() -> int:
    return await _backends(GUILD_APPLICATION_NAME, SHARED_TIER_APPLICATION_NAME)


async def _pinned_backends() -> int:
    return await _backends(GUILD_APPLICATION_NAME)


async def _eventually(predicate, seconds: float = 3.0) -> bool:
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return predicate()


async def test_both_tiers_stay_within_budget_under_load(tenancy, provisioned) -> None:
    """50 concurrent tasks over 200 guilds (a few hot) never exceed the guild connections."""
    guilds = [await provisioned() for _ in range(200)]
    budget = tenancy.budget
    allowed = budget.shared_tier + budget.pinned_slots * budget.pinned_pool_max
    peak = 0
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, await _guild_connections())
            peak = max(peak, tenancy.connections.stats().open_connections)
            await asyncio.sleep(0.005)

    async def worker(n: int) -> None:
        # Every worker visits two hot guilds and 4 of its own (together: all 200).
        for i in range(4):
            for guild_id in (guilds[0], guilds[1], guilds[(n * 4 + i) % len(guilds)]):
                async with guild_db(guild_id):
                    await Member.update_or_create(user_id=n, defaults={"xp": i})

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(worker(n) for n in range(50)))
    done.set()
    await sampler
    stats = tenancy.connections.stats()
    assert 0 < peak <= allowed
    assert stats.pinned_clients <= budget.pinned_slots
    assert stats.hits > 0 and stats.misses > 0 and stats.shared_leases > 0
    assert {guilds[0], guilds[1]} <= set(tenancy.connections.pinned.pinned_guilds())
    assert await _guild_connections() <= allowed


async def test_a_guild_seen_once_is_not_pinned_and_never_evicts_a_hot_one(
    tenancy, provisioned
) -> None:
    """Admission by frequency: one use stays on the shared tier; hot guilds keep their slots."""
    pinned = tenancy.connections.pinned
    for earlier in pinned.pinned_guilds():  # other tests' hot guilds
        tenancy.connections.evict(earlier)
    await pinned.wait_idle()
    hot = [await provisioned() for _ in range(pinned.capacity)]
    for _ in range(6):
        for guild_id in hot:
            async with guild_db(guild_id):
                await Member.all().count()
            await pinned.wait_idle()
    assert set(hot) <= set(pinned.pinned_guilds())
    for _ in range(20):
        once = await provisioned()
        async with guild_db(once):
            await Member.all().count()
        await pinned.wait_idle()
        assert not pinned.is_pinned(once)
    assert set(hot) == set(pinned.pinned_guilds())


async def test_eviction_never_closes_a_leased_pinned_client(tenancy, provisioned) -> None:
    """A pinned client evicted while a command uses it finishes the command, then closes."""
    guild_id = await provisioned()
    assert await tenancy.connections.pin(guild_id)
    started = asyncio.Event()

    async def long_command() -> int:
        async with guild_db(guild_id) as conn:
            await Member.create(user_id=1)
            started.set()
            await conn.execute_query("SELECT pg_sleep(0.3)")
            return await Member.all().count()

    task = asyncio.create_task(long_command())
    await started.wait()
    tenancy.connections.evict(guild_id)  # e.g. a status change from another process
    assert not tenancy.connections.pinned.is_pinned(guild_id)
    assert await task == 1
    await tenancy.connections.pinned.wait_idle()
    assert tenancy.connections.stats().leased_clients == 0


async def test_a_busy_pinned_guild_overflows_to_the_shared_tier(tenancy, provisioned) -> None:
    """More concurrent leases than a pinned client's connections: served, none waits on it."""
    guild_id = await provisioned()
    assert await tenancy.connections.pin(guild_id)
    before = tenancy.connections.stats()
    gate = asyncio.Event()
    inside = 0

    async def command() -> None:
        nonlocal inside
        async with guild_db(guild_id):
            inside += 1
            await gate.wait()
            await Member.all().count()

    tasks = [asyncio.create_task(command()) for _ in range(tenancy.budget.pinned_pool_max + 2)]
    assert await _eventually(lambda: inside == len(tasks))
    gate.set()
    await asyncio.gather(*tasks)
    after = tenancy.connections.stats()
    assert after.overflows - before.overflows == 2
    assert after.hits - before.hits == tenancy.budget.pinned_pool_max


async def test_idle_pinned_clients_are_reaped(tenancy, provisioned) -> None:
    """A pinned client unused for longer than the idle timeout is closed, its connection gone."""
    pinned = tenancy.connections.pinned
    guild_id = await provisioned()
    assert await tenancy.connections.pin(guild_id)
    with_it = await _pinned_backends()
    pinned._idle_seconds, saved = 0.05, pinned._idle_seconds
    try:
        await asyncio.sleep(0.1)
        assert pinned.reap_idle() >= 1
        await pinned.wait_idle()
    finally:
        pinned._idle_seconds = saved
    assert not pinned.is_pinned(guild_id)
    # A closed backend leaves pg_stat_activity a moment later.
    for _ in range(100):
        if await _pinned_backends() < with_it:
            break
        await asyncio.sleep(0.02)
    assert await _pinned_backends() < with_it


async def test_counters_count_shared_leases_then_pinned_hits(tenancy, provisioned) -> None:
    """Uses before pinning go to the shared tier; once pinned, a use is a hit."""
    guild_id = await provisioned()
    before = tenancy.connections.stats()
    async with guild_db(guild_id):
        await Member.all().count()
    middle = tenancy.connections.stats()
    assert middle.shared_leases - before.shared_leases == 1
    assert middle.misses - before.misses == 1
    assert await tenancy.connections.pin(guild_id)
    async with guild_db(guild_id):
        await Member.all().count()
    after = tenancy.connections.stats()
    assert after.hits - middle.hits == 1
    assert after.shared_leases == middle.shared_leases


@pytest.mark.parametrize("tier", ["pinned", "shared"])
async def test_a_task_outliving_its_binding_fails_loudly(tenancy, provisioned, tier) -> None:
    """A task started inside guild_db that queries after the block: LeaseEnded, no leak."""
    guild_id = await provisioned()
    if tier == "pinned":
        assert await tenancy.connections.pin(guild_id)
    else:
        tenancy.connections.evict(guild_id)
    proceed = asyncio.Event()

    async def straggler() -> int:
        await proceed.wait()
        return await Member.all().count()

    async with guild_db(guild_id):
        task = asyncio.create_task(straggler())
    proceed.set()
    with pytest.raises(LeaseEnded, match="outlived"):
        await task
    stats = tenancy.connections.stats()
    assert stats.open_connections <= tenancy.budget.total


async def _backend(guild_id: int) -> int:
    async with guild_db(guild_id) as conn:
        rows = await conn.execute_query_dict("SELECT pg_backend_pid() AS pid")
    return int(rows[0]["pid"])


async def test_a_guild_comes_back_to_its_home_connections(
    tenancy, provisioned, monkeypatch
) -> None:
    """Shared-tier leases of one guild land on its home pool's backends while it is free."""
    monkeypatch.setattr(tenancy.connections.pinned, "capacity", 0)  # shared tier only
    guild_id = await provisioned()
    seen = {await _backend(guild_id) for _ in range(20)}
    assert len(seen) <= 2  # HOME_POOL_SIZE backends at most


async def test_a_busy_home_pool_borrows_instead_of_waiting(
    tenancy, provisioned, monkeypatch
) -> None:
    """More concurrent leases of one guild than its home pool holds: all run at once."""
    monkeypatch.setattr(tenancy.connections.pinned, "capacity", 0)
    guild_id = await provisioned()
    shared = tenancy.connections.shared
    borrowed = shared.borrowed
    gate = asyncio.Event()
    inside = 0

    async def command() -> None:
        nonlocal inside
        async with guild_db(guild_id):
            inside += 1
            await gate.wait()

    tasks = [asyncio.create_task(command()) for _ in range(5)]
    assert await _eventually(lambda: inside == 5)
    gate.set()
    await asyncio.gather(*tasks)
    assert shared.borrowed - borrowed >= 3


@dataclass
class HeldTier:
    """Every shared-tier connection, each leased by a guild of its own until its event is set."""

    holders: list[int]
    releases: list[asyncio.Event]


@pytest.fixture
async def every_shared_connection_held(tenancy, provisioned, monkeypatch):
    """Pinning off, then every connection of the shared tier leased (and waiting on its
    release event) when the test starts; all released and finished afterwards."""
    monkeypatch.setattr(tenancy.connections.pinned, "capacity", 0)
    shared = tenancy.connections.shared
    held = HeldTier([await provisioned() for _ in range(shared.size)], [])
    held.releases = [asyncio.Event() for _ in held.holders]
    inside = 0

    async def hold(guild_id: int, release: asyncio.Event) -> None:
        nonlocal inside
        async with guild_db(guild_id):
            inside += 1
            await release.wait()

    tasks = [
        asyncio.create_task(hold(g, r)) for g, r in zip(held.holders, held.releases, strict=True)
    ]
    try:
        assert await _eventually(lambda: inside == shared.size, seconds=20)
        yield held
    finally:
        for release in held.releases:
            release.set()
        await asyncio.gather(*tasks)


def _waiting(tenancy) -> int:
    """Leases queued for the shared tier now."""
    return tenancy.connections.shared.waiting()


async def test_when_every_shared_connection_is_leased_the_next_lease_waits(
    tenancy, provisioned, every_shared_connection_held
) -> None:
    """The tier never opens more than its size: lease size+1 waits for the first release."""
    shared = tenancy.connections.shared
    entered = asyncio.Event()

    async def command(guild_id: int) -> None:
        async with guild_db(guild_id):
            entered.set()

    late = asyncio.create_task(command(await provisioned()))
    assert await _eventually(lambda: _waiting(tenancy) == 1)
    assert not entered.is_set()  # queued, not over budget
    assert shared.open_connections() <= shared.size
    every_shared_connection_held.releases[0].set()
    await asyncio.wait_for(late, 20)
    assert entered.is_set()


async def test_a_cancelled_waiter_does_not_block_the_shared_tier(
    tenancy, provisioned, every_shared_connection_held
) -> None:
    """A lease cancelled while waiting leaves the queue: later leases are not held up."""
    held = every_shared_connection_held

    async def lease_once(guild_id: int) -> None:
        async with guild_db(guild_id):
            pass

    waiting = asyncio.create_task(lease_once(await provisioned()))
    assert await _eventually(lambda: _waiting(tenancy) == 1)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert _waiting(tenancy) == 0
    for release in held.releases:
        release.set()
    async with asyncio.timeout(5), guild_db(held.holders[0]):
        await Member.all().count()
