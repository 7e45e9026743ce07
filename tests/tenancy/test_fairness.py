"""Fair shares of the shared tier: a guild's cap, the bounded wait, refusals and their counters."""

from __future__ import annotations

import asyncio

import pytest

from app.health import HealthServer
from app.tenancy import GuildBusy
from app.tenancy.connections.fairness import QUEUE_FULL, WAIT_TIMEOUT
from tests.tenancy.fair_share import holding, limits, one_query, start_waiting


async def test_a_lease_beyond_the_guilds_cap_waits_then_is_refused_as_busy(
    tenancy, provisioned
) -> None:
    """At its cap a guild's next lease waits the bounded time, then raises GuildBusy."""
    guild = await provisioned()
    before = tenancy.connections.stats()
    with limits(tenancy, max_shared_leases=2, wait_seconds=0.2, max_waiting=4):
        async with holding(guild, 2):
            started = asyncio.get_running_loop().time()
            with pytest.raises(GuildBusy) as refused:
                await one_query(guild)
            waited = asyncio.get_running_loop().time() - started
    assert refused.value.reason == WAIT_TIMEOUT and refused.value.guild_id == guild
    assert "GUILD_SHARED_LEASES_MAX" in str(refused.value)
    assert 0.15 <= waited < 2
    after = tenancy.connections.stats()
    assert after.leases_refused_wait_timeout == before.leases_refused_wait_timeout + 1
    assert tenancy.connections.fair.held(guild) == 0


async def test_other_guilds_lease_at_once_while_one_guild_is_at_its_cap(
    tenancy, provisioned
) -> None:
    """A guild at its cap delays nobody else: another guild's lease needs no wait."""
    noisy, quiet = await provisioned(), await provisioned()
    with limits(tenancy, max_shared_leases=2, wait_seconds=1.0, max_waiting=4):
        async with holding(noisy, 2):
            assert await asyncio.wait_for(one_query(quiet), 0.5) == 0
            assert tenancy.connections.fair.held(quiet) == 0
            assert tenancy.connections.fair.held(noisy) == 2


async def test_a_waiting_lease_takes_the_slot_its_guild_releases(tenancy, provisioned) -> None:
    """A lease that waits gets the guild's next free slot and is counted as delayed."""
    guild = await provisioned()
    before = tenancy.connections.stats().leases_delayed
    with limits(tenancy, max_shared_leases=1, wait_seconds=2.0, max_waiting=4):
        async with holding(guild, 1):
            waiter = await start_waiting(tenancy, guild)
            assert not waiter.done()
        assert await asyncio.wait_for(waiter, 2) == 0
    assert tenancy.connections.stats().leases_delayed == before + 1
    assert tenancy.connections.fair.held(guild) == 0


async def test_leases_beyond_the_waiting_room_are_refused_at_once(tenancy, provisioned) -> None:
    """With max_waiting leases already waiting, the next is refused without waiting."""
    guild = await provisioned()
    before = tenancy.connections.stats().leases_refused_queue_full
    with limits(tenancy, max_shared_leases=1, wait_seconds=2.0, max_waiting=1):
        async with holding(guild, 1):
            waiter = await start_waiting(tenancy, guild)
            with pytest.raises(GuildBusy) as refused:
                await asyncio.wait_for(one_query(guild), 0.5)
            assert refused.value.reason == QUEUE_FULL
        await asyncio.wait_for(waiter, 2)
    assert tenancy.connections.stats().leases_refused_queue_full == before + 1


async def test_a_cancelled_waiter_gives_up_its_place_without_leaking_a_slot(
    tenancy, provisioned
) -> None:
    """Cancelling a waiting lease leaves the guild's count as it was: later leases still run."""
    guild = await provisioned()
    with limits(tenancy, max_shared_leases=1, wait_seconds=2.0, max_waiting=4):
        async with holding(guild, 1):
            waiter = await start_waiting(tenancy, guild)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
            assert tenancy.connections.fair.waiting(guild) == 0
        assert tenancy.connections.fair.held(guild) == 0
        assert await asyncio.wait_for(one_query(guild), 1) == 0


async def test_a_pinned_guilds_overflow_counts_against_its_shared_cap(tenancy, provisioned) -> None:
    """A pinned guild holds its own connections plus at most its cap on the shared tier."""
    guild = await provisioned()
    pool_max = tenancy.budget.pinned_pool_max
    with limits(tenancy, pinning=True, max_shared_leases=1, wait_seconds=0.1, max_waiting=4):
        assert await tenancy.connections.pin(guild)
        async with holding(guild, pool_max + 1):
            assert tenancy.connections.fair.held(guild) == 1  # the overflow, on the shared tier
            with pytest.raises(GuildBusy):
                await one_query(guild)
    tenancy.connections.evict(guild)


async def test_no_cap_lets_a_guild_lease_as_many_as_the_tier_holds(tenancy, provisioned) -> None:
    """max_shared_leases=0 turns the cap off: concurrent leases of one guild all run."""
    guild = await provisioned()
    with limits(tenancy, max_shared_leases=0, wait_seconds=0.1, max_waiting=0):
        async with holding(guild, 4):
            assert tenancy.connections.fair.held(guild) == 4


async def test_healthz_reports_the_cap_and_refusals_per_reason(tenancy, provisioned) -> None:
    """/healthz's connection counters carry the cap and each refusal reason as it happens."""
    guild = await provisioned()
    health = HealthServer("127.0.0.1", 0, lambda: {"ok": True}, tenancy)
    _, before = await health.check()
    with limits(tenancy, max_shared_leases=1, wait_seconds=0.05, max_waiting=0):
        async with holding(guild, 1):
            with pytest.raises(GuildBusy):
                await one_query(guild)
        _, after = await health.check()
    assert after["cache"]["guild_shared_cap"] == 1
    assert (
        after["cache"]["leases_refused_queue_full"]
        == before["cache"]["leases_refused_queue_full"] + 1
    )
    assert after["cache"]["leases_delayed"] == before["cache"]["leases_delayed"]
