"""Who gets a shared connection when one frees while leases wait (``SharedTier``'s queue).

A waiter whose home pool is the freed one goes first (its guild's catalog entries are warm on
that backend); every other waiter is served in arrival order, and none is overtaken more than
``MAX_OVERTAKES`` times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from app.tenancy.connections.handoff import MAX_OVERTAKES
from app.tenancy.connections.shared_tier import SharedTier
from app.tenancy.naming import schema_for


class Held:
    """Every connection of the shared tier leased by one guild, released one at a time."""

    def __init__(self, shared: SharedTier, role_of: Callable[[int], str], guild_id: int):
        self.shared, self.role_of, self.guild_id = shared, role_of, guild_id
        self.leases: list[tuple[int, object]] = []

    async def take_all(self) -> None:
        for _ in range(self.shared.size):
            self.leases.append(
                await self.shared.acquire(
                    self.guild_id, schema_for(self.guild_id), self.role_of(self.guild_id)
                )
            )

    async def release_one(self) -> int:
        """Release a held connection; returns its pool."""
        index, conn = self.leases.pop(0)
        await self.shared.release(index, conn)  # type: ignore[arg-type]
        return index

    async def release_all(self) -> None:
        while self.leases:
            await self.release_one()


async def _guilds_by_home(
    shared: SharedTier, provisioned: Callable[[], Awaitable[int]], home: int
) -> tuple[int, int]:
    """A provisioned guild whose home pool is ``home`` and one whose home is another."""
    at, elsewhere = None, None
    for _ in range(200):
        guild_id = await provisioned()
        if shared._home(guild_id) == home:
            at = at or guild_id
        else:
            elsewhere = elsewhere or guild_id
        if at and elsewhere:
            return at, elsewhere
    raise AssertionError("no guild hashed to the pool")


async def _queue_len(shared: SharedTier, n: int) -> None:
    """Wait until ``n`` leases wait in the queue (a definite arrival order)."""
    for _ in range(1000):
        if shared.waiting() >= n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{shared.waiting()} waiters, expected {n}")


@pytest.fixture
async def held(tenancy, provisioned, monkeypatch):
    monkeypatch.setattr(tenancy.connections.pinned, "capacity", 0)  # shared tier only
    shared = tenancy.connections.shared
    holder = Held(shared, tenancy.connections._role_of, await provisioned())
    await holder.take_all()
    yield holder
    await holder.release_all()


async def _lease_and_note(held: Held, guild_id: int, order: list[int], label: int) -> None:
    shared = held.shared
    index, conn = await shared.acquire(guild_id, schema_for(guild_id), held.role_of(guild_id))
    order.append(label)
    await shared.release(index, conn)


async def test_a_waiter_of_the_freed_pool_goes_first(held, provisioned) -> None:
    """Two waiters; the later one's home is the pool that frees: it is served first."""
    shared = held.shared
    freed_pool = held.leases[0][0]
    own, other = await _guilds_by_home(shared, provisioned, freed_pool)
    order: list[int] = []
    first = asyncio.create_task(_lease_and_note(held, other, order, 1))
    await _queue_len(shared, 1)
    second = asyncio.create_task(_lease_and_note(held, own, order, 2))
    await _queue_len(shared, 2)
    overtakes = shared.overtakes
    assert await held.release_one() == freed_pool
    async with asyncio.timeout(10):
        await asyncio.gather(first, second)
    assert order == [2, 1]
    assert shared.overtakes == overtakes + 1


async def test_waiters_of_other_pools_are_served_in_arrival_order(held, provisioned) -> None:
    """No waiter's home is the freed pool: first come, first served."""
    shared = held.shared
    freed_pool = held.leases[0][0]
    _, other = await _guilds_by_home(shared, provisioned, freed_pool)
    order: list[int] = []
    tasks = []
    for label in range(4):
        tasks.append(asyncio.create_task(_lease_and_note(held, other, order, label)))
        await _queue_len(shared, label + 1)
    await held.release_one()
    async with asyncio.timeout(10):
        await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3]


async def test_no_waiter_is_overtaken_more_than_the_bound(held, provisioned) -> None:
    """Waiters of the freed pool keep arriving: the one from elsewhere is still served after
    ``MAX_OVERTAKES`` of them."""
    shared = held.shared
    freed_pool = held.leases[0][0]
    own, other = await _guilds_by_home(shared, provisioned, freed_pool)
    order: list[int] = []
    tasks = [asyncio.create_task(_lease_and_note(held, other, order, -1))]
    await _queue_len(shared, 1)
    for label in range(MAX_OVERTAKES + 2):
        tasks.append(asyncio.create_task(_lease_and_note(held, own, order, label)))
        await _queue_len(shared, label + 2)
    await held.release_one()  # each lease releases at once: the freed pool serves them all
    async with asyncio.timeout(10):
        await asyncio.gather(*tasks)
    assert order == [*range(MAX_OVERTAKES), -1, MAX_OVERTAKES, MAX_OVERTAKES + 1]
