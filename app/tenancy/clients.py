"""Per-guild database clients in a bounded LRU with leases.

Each guild's client is a Tortoise asyncpg client whose connections pin ``search_path`` to the
guild's schema. The cache holds at most ``capacity`` clients (leased or not), so the server
never sees more than ``capacity * pool_max`` connections from it: when every slot is leased, a
new guild waits for a lease to come back instead of going over budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from tortoise.backends.base.client import BaseDBAsyncClient

from app.tenancy.errors import ClientCacheClosed

log = logging.getLogger(__name__)

ClientFactory = Callable[[int], BaseDBAsyncClient]


@dataclass
class _Entry:
    client: BaseDBAsyncClient
    leases: int = 0
    last_used: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class CacheStats:
    """Counters of the per-guild client cache."""

    hits: int
    misses: int
    evictions: int
    cached_clients: int
    leased_clients: int
    open_connections: int
    capacity: int


class ClientCache:
    """An LRU of per-guild clients keyed by guild id, with leases and an idle reaper."""

    def __init__(self, factory: ClientFactory, *, capacity: int, idle_seconds: float) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._factory = factory
        self._capacity = capacity
        self._idle_seconds = idle_seconds
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        # Evicted while leased: still holding connections until the last lease returns.
        self._draining: dict[int, list[_Entry]] = {}
        # Clients being closed in the background: they hold a slot until their pool is gone,
        # so the server never sees more than the budget while a close is in flight.
        self._closing: set[asyncio.Task[None]] = set()
        self._cond = asyncio.Condition()
        self._closed = False
        self._hits = self._misses = self._evictions = 0
        self._reaper: asyncio.Task[None] | None = None

    @property
    def capacity(self) -> int:
        """The most clients that may exist at once."""
        return self._capacity

    def _live(self) -> int:
        draining = sum(len(entries) for entries in self._draining.values())
        return len(self._entries) + draining + len(self._closing)

    async def acquire(self, guild_id: int) -> BaseDBAsyncClient:
        """Lease the guild's client, creating it (and evicting an idle one) if needed.

        Waits while every slot is leased. Each call must be paired with :meth:`release`.
        """
        async with self._cond:
            while True:
                if self._closed:
                    raise ClientCacheClosed("the tenant client cache is closed")
                entry = self._entries.get(guild_id)
                if entry is not None:
                    self._entries.move_to_end(guild_id)
                    entry.leases += 1
                    self._hits += 1
                    return entry.client
                if self._live() < self._capacity:
                    entry = _Entry(self._factory(guild_id), leases=1)
                    self._entries[guild_id] = entry
                    self._misses += 1
                    return entry.client
                victim = next((g for g, e in self._entries.items() if e.leases == 0), None)
                if victim is not None:
                    self._close_later(self._entries.pop(victim), reason="evicted")
                    self._evictions += 1
                # Wait for a release or for a close to free its slot.
                await self._cond.wait()

    async def release(self, guild_id: int, client: BaseDBAsyncClient) -> None:
        """Return a lease; close the client if it was evicted while leased."""
        async with self._cond:
            if self._closed:
                return  # shutdown closed every client already, leased ones included
            entry = self._entries.get(guild_id)
            if entry is not None and entry.client is client:
                entry.leases -= 1
                entry.last_used = time.monotonic()
                self._cond.notify()
                return
            for draining in self._draining.get(guild_id, []):
                if draining.client is client:
                    draining.leases -= 1
                    if draining.leases == 0:
                        self._draining[guild_id].remove(draining)
                        if not self._draining[guild_id]:
                            del self._draining[guild_id]
                        # Closing an in-use client would let Tortoise silently reopen a
                        # pool (FACTS.md), so a drained client is closed only now.
                        self._close_later(draining, reason="drained")
                    return
            log.warning("guild %s: released a client the cache does not know", guild_id)

    async def evict(self, guild_id: int) -> None:
        """Drop the guild's client: closed now if idle, else when its last lease returns."""
        async with self._cond:
            entry = self._entries.pop(guild_id, None)
            if entry is None:
                return
            self._evictions += 1
            if entry.leases:
                self._draining.setdefault(guild_id, []).append(entry)
            else:
                self._close_later(entry, reason="evicted")

    async def reap_idle(self) -> int:
        """Close unleased clients idle for longer than the idle timeout; return how many."""
        deadline = time.monotonic() - self._idle_seconds
        async with self._cond:
            idle = [g for g, e in self._entries.items() if e.leases == 0 and e.last_used < deadline]
            for guild_id in idle:
                self._close_later(self._entries.pop(guild_id), reason="idle")
        await self.wait_closed()
        return len(idle)

    def start_reaper(self, interval: float | None = None) -> None:
        """Run :meth:`reap_idle` periodically in the background until :meth:`close`."""
        if self._reaper is None:
            every = interval if interval is not None else max(self._idle_seconds / 2, 0.05)
            self._reaper = asyncio.create_task(self._reap_forever(every), name="tenant-reaper")

    async def _reap_forever(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.reap_idle()
            except Exception:  # the reaper must outlive one bad close
                log.exception("reaping idle tenant clients failed")

    async def close(self) -> None:
        """Close every client (leased ones too: this is shutdown) and stop the reaper."""
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        async with self._cond:
            self._closed = True
            entries = list(self._entries.values())
            entries += [e for group in self._draining.values() for e in group]
            self._entries.clear()
            self._draining.clear()
            for entry in entries:
                self._close_later(entry, reason="shutdown")
            self._cond.notify_all()
        await self.wait_closed()

    async def wait_closed(self) -> None:
        """Wait until every close in flight has finished."""
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _close_later(self, entry: _Entry, *, reason: str) -> None:
        # Called with the condition held. The close runs in the background so that hits on
        # other guilds are not held up by it; its slot is released only once it is done.
        task = asyncio.create_task(self._close(entry, reason), name=f"close-tenant-{reason}")
        self._closing.add(task)

    async def _close(self, entry: _Entry, reason: str) -> None:
        try:
            await entry.client.close()
        except Exception:
            log.exception("closing a tenant client (%s) failed", reason)
        finally:
            async with self._cond:
                self._closing.discard(asyncio.current_task())  # type: ignore[arg-type,unused-ignore]
                self._cond.notify_all()

    def stats(self) -> CacheStats:
        """A snapshot of the counters and of the connections the cached clients hold."""
        entries = list(self._entries.values())
        entries += [e for group in self._draining.values() for e in group]
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            evictions=self._evictions,
            cached_clients=len(self._entries),
            leased_clients=sum(1 for e in entries if e.leases),
            open_connections=sum(_pool_size(e.client) for e in entries),
            capacity=self._capacity,
        )

    def cached_guilds(self) -> list[int]:
        """Guild ids with a cached client, least recently used first."""
        return list(self._entries)


def _pool_size(client: BaseDBAsyncClient) -> int:
    pool = getattr(client, "_pool", None)
    return int(pool.get_size()) if pool is not None else 0
