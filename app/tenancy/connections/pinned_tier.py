"""The pinned tier: hot guilds keep a Tortoise client of their own, in an LRU keyed by guild.

Each pinned client is a Tortoise asyncpg client whose connections pin ``search_path`` to the
guild's schema through ``server_settings`` (so a lease needs no binding round trip, and
``RESET ALL`` on release returns to the guild's schema). Guilds enter by frequency
(:mod:`.admission`), one promotion at a time and in the background, so a lease never waits
for a client to connect. A pinned guild whose connections are all leased does not wait
either: the router sends that lease to the shared tier.

The tier holds at most ``capacity`` clients of at most ``pool_max`` connections each. A client
is closed only when no lease uses it: closing an in-use Tortoise client would let the next
query silently open a new pool (docs/library-behaviour.md, "Tortoise: close is not final").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from app.tenancy.connections.admission import Admission
from app.tenancy.connections.session import release_quietly

log = logging.getLogger(__name__)

ClientFactory = Callable[[int], AsyncpgDBClient]


@dataclass(eq=False)
class PinnedClient:
    """One guild's client and how many leases use it now."""

    guild_id: int
    client: AsyncpgDBClient
    leases: int = 0
    last_used: float = field(default_factory=time.monotonic)
    evicted: bool = False

    def pool(self) -> asyncpg.Pool:
        """The client's asyncpg pool (opened before the client joined the tier)."""
        pool = self.client._pool
        assert pool is not None, "a pinned client is admitted only once connected"
        return pool


class PinnedTier:
    """An LRU of per-guild clients with leases, frequency admission and an idle reaper."""

    def __init__(
        self, factory: ClientFactory, *, capacity: int, pool_max: int, idle_seconds: float
    ) -> None:
        self._factory = factory
        self.capacity = capacity
        self.pool_max = pool_max
        self._idle_seconds = idle_seconds
        self._entries: OrderedDict[int, PinnedClient] = OrderedDict()
        self._held: list[PinnedClient] = []  # evicted while leased, closed at last release
        self._tasks: set[asyncio.Task[None]] = set()  # promotions and closes in flight
        self._closing: set[asyncio.Task[None]] = set()  # the closes alone: each holds a slot
        self._promoting: int | None = None
        self._promotion_done = asyncio.Event()
        self._closed = False
        self._pinning_fails = False  # during an outage: its first failure alone is a warning
        self.hits = self.misses = self.evictions = self.promotions = 0

    # --- leases ---------------------------------------------------------------------------

    async def try_acquire(self, guild_id: int) -> tuple[PinnedClient, asyncpg.Connection] | None:
        """A connection of the guild's pinned client, or None (not pinned, or all leased)."""
        entry = self._entries.get(guild_id)
        if entry is None or self._closed:
            self.misses += 1
            return None
        if entry.leases >= self.pool_max:
            return None  # busy: the shared tier serves the overflow instead of queueing here
        entry.leases += 1
        self._entries.move_to_end(guild_id)
        try:
            conn: asyncpg.Connection = await entry.pool().acquire()
        except BaseException:
            self._leave(entry)
            raise
        self.hits += 1
        return entry, conn

    async def release(self, entry: PinnedClient, conn: asyncpg.Connection) -> None:
        """Return a lease's connection; close the client if it was evicted meanwhile."""
        try:
            await release_quietly(entry.pool(), conn, tier="pinned")
        finally:
            self._leave(entry)

    def _leave(self, entry: PinnedClient) -> None:
        entry.leases -= 1
        entry.last_used = time.monotonic()
        if entry.evicted and entry.leases == 0 and entry in self._held:
            self._held.remove(entry)
            self._close_later(entry, "drained")

    # --- admission ------------------------------------------------------------------------

    def consider(self, guild_id: int, uses: int, admission: Admission) -> None:
        """Pin ``guild_id`` in the background if ``admission`` says it is hot enough."""
        if self._closed or guild_id in self._entries or self._promoting is not None:
            return
        victim = self._victim()
        if victim == -1 or not admission.admits(uses, victim):
            return
        self._make_room(victim)
        self._promoting = guild_id
        self._promotion_done.clear()
        task = asyncio.create_task(self._promote(guild_id), name=f"pin-guild-{guild_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def pin(self, guild_id: int) -> bool:
        """Pin ``guild_id`` now, whatever its frequency (operators, tests); False if no slot
        can be freed (every pinned client is leased) or the tier is closed."""
        while self._promoting is not None and not self._closed:
            await self._promotion_done.wait()  # one promotion at a time
        if self._closed or self.capacity < 1:
            return False
        if guild_id in self._entries:
            return True
        victim = self._victim()
        if victim == -1:
            return False
        self._make_room(victim)
        self._promoting = guild_id
        self._promotion_done.clear()
        await self._promote(guild_id)
        return guild_id in self._entries

    def _victim(self) -> int | None:
        """None: a slot is free; else the LRU unleased guild to replace; -1: none can go."""
        if self.capacity < 1:
            return -1
        if self._live() < self.capacity:
            return None
        return next((g for g, e in self._entries.items() if e.leases == 0), -1)

    def _make_room(self, victim: int | None) -> None:
        if victim is not None:
            self._evict_entry(self._entries.pop(victim), "replaced")

    async def _promote(self, guild_id: int) -> None:
        client = self._factory(guild_id)
        try:
            await client.create_connection(with_db=True)
        except Exception as exc:  # an outage: the guild stays on the shared tier
            self._pin_failed(guild_id, exc)
            await client.close()
            return
        finally:
            self._promoting = None
            self._promotion_done.set()
        if self._pinning_fails:
            self._pinning_fails = False
            log.info("guild %s: pinning clients works again", guild_id)
        if self._closed:
            await client.close()
            return
        self._entries[guild_id] = PinnedClient(guild_id, client)
        self.promotions += 1

    def _pin_failed(self, guild_id: int, exc: Exception) -> None:
        # Every hot guild tries during an outage: one warning for the outage, not one per
        # guild per try; the rest at debug level, until a pin succeeds again.
        if self._pinning_fails:
            log.debug("guild %s: pinning a client failed (%s)", guild_id, exc)
            return
        self._pinning_fails = True
        log.warning(
            "guild %s: pinning a client failed (%s); guilds stay on the shared tier, "
            "further failures are logged at debug level until pinning works again",
            guild_id,
            exc,
        )

    def _live(self) -> int:
        promoting = 1 if self._promoting is not None else 0
        return len(self._entries) + len(self._held) + promoting + len(self._closing)

    # --- eviction -------------------------------------------------------------------------

    def evict(self, guild_id: int) -> None:
        """Drop the guild's client: closed now if unleased, else at its last release."""
        entry = self._entries.pop(guild_id, None)
        if entry is not None:
            self._evict_entry(entry, "evicted")

    def _evict_entry(self, entry: PinnedClient, reason: str) -> None:
        self.evictions += 1
        entry.evicted = True
        if entry.leases:
            self._held.append(entry)
        else:
            self._close_later(entry, reason)

    def reap_idle(self) -> int:
        """Unpin clients unused for longer than the idle timeout; return how many."""
        deadline = time.monotonic() - self._idle_seconds
        idle = [g for g, e in self._entries.items() if e.leases == 0 and e.last_used < deadline]
        for guild_id in idle:
            entry = self._entries.pop(guild_id)
            entry.evicted = True
            self._close_later(entry, "idle")
        return len(idle)

    def _close_later(self, entry: PinnedClient, reason: str) -> None:
        # The close runs in the background; its slot stays taken until it is done, so the
        # server never sees more than the budget while a close is in flight.
        task = asyncio.create_task(self._close(entry, reason), name=f"unpin-{entry.guild_id}")
        self._tasks.add(task)
        self._closing.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._closing.discard)

    async def _close(self, entry: PinnedClient, reason: str) -> None:
        try:
            await entry.client.close()
        except Exception:
            log.exception("guild %s: closing its pinned client (%s) failed", entry.guild_id, reason)

    async def wait_idle(self) -> None:
        """Wait until no promotion or close is in flight."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Close every client, leased ones too (this is shutdown)."""
        self._closed = True
        entries = [*self._entries.values(), *self._held]
        self._entries.clear()
        self._held.clear()
        for entry in entries:
            self._close_later(entry, "shutdown")
        await self.wait_idle()

    # --- introspection --------------------------------------------------------------------

    def is_pinned(self, guild_id: int) -> bool:
        """Whether the guild has a pinned client now."""
        return guild_id in self._entries

    def pinned_guilds(self) -> list[int]:
        """Guild ids with a pinned client, least recently used first."""
        return list(self._entries)

    def leased_clients(self) -> int:
        """Pinned clients with at least one lease."""
        return sum(1 for e in [*self._entries.values(), *self._held] if e.leases)

    def open_connections(self) -> int:
        """Server connections held by pinned clients now."""
        entries = [*self._entries.values(), *self._held]
        return sum(int(e.client._pool.get_size()) for e in entries if e.client._pool is not None)
