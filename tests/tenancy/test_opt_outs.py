"""The per-process opt-out cache: no query per message, dropped on change here and elsewhere."""

from __future__ import annotations

import asyncio
import itertools

import asyncpg

from app.models.shared import User
from app.tenancy.registry.listener import StatusListener
from app.tenancy.registry.opt_outs import CHANNEL, OptOutCache

_users = itertools.count(7_000_000_000)


async def test_set_is_seen_at_once_by_this_process(tenancy) -> None:
    """Opting out and back in through the cache answers the new value immediately."""
    user = next(_users)
    assert not await tenancy.opt_outs.is_opted_out(user)
    await tenancy.opt_outs.set(user, True)
    assert await tenancy.opt_outs.is_opted_out(user)
    await tenancy.opt_outs.set(user, False)
    assert not await tenancy.opt_outs.is_opted_out(user)


async def test_answers_are_cached_until_a_notify_drops_them(tenancy) -> None:
    """A change made elsewhere is invisible until its NOTIFY arrives, then read afresh."""
    cache = OptOutCache()
    listener = StatusListener(tenancy.address.dsn, {CHANNEL: cache.on_notify})
    listener.start()
    admin = await asyncpg.connect(tenancy.address.dsn)
    try:
        await asyncio.wait_for(listener.connected.wait(), 5)
        user = next(_users)
        assert not await cache.is_opted_out(user)
        await User.create(user_id=user, tracking_opt_out=True)  # no NOTIFY sent
        assert not await cache.is_opted_out(user)  # cached: no query was made
        await admin.execute("SELECT pg_notify($1, $2)", CHANNEL, str(user))
        for _ in range(100):
            if await cache.is_opted_out(user):
                break
            await asyncio.sleep(0.01)
        assert await cache.is_opted_out(user)
    finally:
        await admin.close()
        await listener.stop()


async def test_an_invalidation_during_a_read_is_not_lost(tenancy) -> None:
    """An answer read across an invalidation is returned once but never cached."""
    cache = OptOutCache()
    user = next(_users)
    reading = asyncio.create_task(cache.is_opted_out(user))
    await asyncio.sleep(0)  # the read is now waiting on the database
    await User.create(user_id=user, tracking_opt_out=True)
    cache.invalidate(user)  # the NOTIFY of that change lands mid-read
    await reading
    assert await cache.is_opted_out(user) is True
