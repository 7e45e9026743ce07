"""Test helpers for fair shares: run with given limits, hold a guild's leases open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from app.models.tenant import Member
from app.tenancy import FairShareLimits, guild_db


@contextmanager
def limits(tenancy, *, pinning: bool = False, **values: float) -> Iterator[None]:
    """Run with these fair-share limits (and no pinning unless asked), then restore."""
    fair, pinned = tenancy.connections.fair, tenancy.connections.pinned
    saved_limits, saved_capacity = fair.limits, pinned.capacity
    fair.limits = FairShareLimits(**values)  # type: ignore[arg-type]
    if not pinning:
        pinned.capacity = 0  # every lease on the shared tier, as for an unpinned guild
        for guild_id in pinned.pinned_guilds():
            tenancy.connections.evict(guild_id)
    try:
        yield
    finally:
        fair.limits, pinned.capacity = saved_limits, saved_capacity


@asynccontextmanager
async def holding(guild_id: int, count: int) -> AsyncIterator[None]:
    """Hold ``count`` leases of the guild open (each in its own task) for the block."""
    entered, leave = asyncio.Semaphore(0), asyncio.Event()

    async def hold() -> None:
        async with guild_db(guild_id):
            await Member.filter(user_id=1).count()
            entered.release()
            await leave.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(count)]
    for _ in range(count):
        await asyncio.wait_for(entered.acquire(), 5)
    try:
        yield
    finally:
        leave.set()
        await asyncio.gather(*tasks)


async def one_query(guild_id: int) -> int:
    """One lease of the guild and one query on it (the members counted)."""
    async with guild_db(guild_id):
        return await Member.all().count()


async def start_waiting(tenancy, guild_id: int) -> asyncio.Task[int]:
    """Start a lease of the guild in a task and return once it waits for a slot."""
    fair = tenancy.connections.fair
    before = fair.waiting(guild_id)
    task = asyncio.create_task(one_query(guild_id))
    async with asyncio.timeout(5):
        while True:
            if fair.waiting(guild_id) > before:
                return task
            await asyncio.sleep(0.005)
