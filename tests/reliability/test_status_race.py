"""The status cache never keeps a state read across an invalidation (issue 13, item 1)."""

from __future__ import annotations

import asyncio

from app.models.shared import Tenant
from app.tenancy.registry.status import StatusCache, TenantState


class _PausingCache(StatusCache):
    """A status cache whose registry reads stop, once read, until the test lets them go."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.read_done = asyncio.Event()
        self.release = asyncio.Event()

    async def _read(self, guild_id: int) -> TenantState | None:
        state = await super()._read(guild_id)
        self.reads += 1
        self.read_done.set()
        await self.release.wait()
        return state


async def _race(cache: _PausingCache, guild_id: int, *, everything: bool) -> TenantState:
    """Read the row, disable the guild and invalidate while the read is held, then let go."""
    lookup = asyncio.create_task(cache.get(guild_id))
    await asyncio.wait_for(cache.read_done.wait(), 10)  # read as 'active', not yet stored
    await Tenant.filter(guild_id=guild_id).update(status="disabled")
    cache.invalidate(None if everything else guild_id)  # the listener, on that NOTIFY
    cache.release.set()
    return await asyncio.wait_for(lookup, 10)


async def test_invalidation_during_a_registry_read_is_not_lost(tenancy, provisioned) -> None:
    """A NOTIFY landing between reading a guild's row and caching it forces a fresh read."""
    guild_id = await provisioned()
    cache = _PausingCache()
    first = await _race(cache, guild_id, everything=False)
    assert first.status == "active"  # that one lookup began before the disable
    assert (await cache.get(guild_id)).effective_status() == "disabled"
    assert cache.reads == 2


async def test_invalidating_everything_during_a_read_is_not_lost(tenancy, provisioned) -> None:
    """A reconnect's invalidate-all during a read also keeps that read out of the cache."""
    guild_id = await provisioned()
    cache = _PausingCache()
    await _race(cache, guild_id, everything=True)
    assert (await cache.get(guild_id)).effective_status() == "disabled"


async def test_a_read_with_no_invalidation_is_cached(tenancy, provisioned) -> None:
    """Without a change in between, the second lookup costs no registry read."""
    guild_id = await provisioned()
    cache = _PausingCache()
    cache.release.set()
    await cache.get(guild_id)
    assert (await cache.get(guild_id)).effective_status() == "active"
    assert cache.reads == 1
