"""Every guild lease goes through :class:`GuildConnections`, which picks the tier.

A lease is served by the guild's pinned client when it has one with a free connection, and by
the shared tier otherwise; each lease counts towards the guild's frequency, which may pin it
for the next time. Either way the caller gets a :class:`LeasedClient` over one connection
bound to the guild's schema, revoked when the lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from tortoise.backends.asyncpg.client import AsyncpgDBClient

from app.tenancy.connections.admission import Admission
from app.tenancy.connections.budget import ConnectionBudget
from app.tenancy.connections.config import TENANT_ALIAS
from app.tenancy.connections.fairness import QUEUE_FULL, WAIT_TIMEOUT, FairShare, FairShareLimits
from app.tenancy.connections.leased import LeasedClient
from app.tenancy.connections.pinned_tier import PinnedTier
from app.tenancy.connections.shared_tier import SharedTier
from app.tenancy.errors import ClientCacheClosed
from app.tenancy.naming import schema_for


@dataclass(frozen=True)
class ConnectionStats:
    """Counters of both tiers (``/tenant status``, ``/healthz``, benchmarks)."""

    hits: int  # leases served by a pinned client
    misses: int  # leases of guilds without a pinned client
    overflows: int  # leases of pinned guilds whose connections were all in use
    evictions: int
    promotions: int
    pinned_clients: int
    leased_clients: int
    capacity: int
    pinned_connections: int
    shared_connections: int
    shared_leases: int
    budget: int
    guild_shared_cap: int  # shared-tier leases one guild may hold at once (0: no cap)
    leases_delayed: int  # leases that waited for one of their guild's shared slots
    leases_refused_wait_timeout: int  # refused: no slot of the guild freed within the wait
    leases_refused_queue_full: int  # refused at once: too many of the guild's leases waiting

    @property
    def open_connections(self) -> int:
        """Guild connections open now, both tiers."""
        return self.pinned_connections + self.shared_connections

    def as_dict(self) -> dict[str, int]:
        """Every counter, ``open_connections`` included (for JSON)."""
        return {**dataclasses.asdict(self), "open_connections": self.open_connections}


class GuildConnections:
    """The two tiers behind ``guild_db``, within one connection budget."""

    def __init__(
        self,
        shared: SharedTier,
        pinned: PinnedTier,
        budget: ConnectionBudget,
        role_of: Callable[[int], str],
        admission: Admission | None = None,
        fairness: FairShareLimits | None = None,
    ) -> None:
        self.shared = shared
        self._role_of = role_of
        self.pinned = pinned
        self.budget = budget
        self.admission = admission or Admission()
        #: Per-guild caps on shared-tier leases (:mod:`.fairness`).
        self.fair = FairShare(fairness)
        self._overflows = 0
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    def create(
        cls,
        budget: ConnectionBudget,
        shared: SharedTier,
        client_factory: Callable[[int], AsyncpgDBClient],
        role_of: Callable[[int], str],
        *,
        idle_seconds: float,
        fairness: FairShareLimits | None = None,
    ) -> GuildConnections:
        """Both tiers sized from ``budget``; ``role_of`` names the role a guild runs as;
        ``fairness`` caps each guild's shared leases."""
        pinned = PinnedTier(
            client_factory,
            capacity=budget.pinned_slots,
            pool_max=budget.pinned_pool_max,
            idle_seconds=idle_seconds,
        )
        return cls(shared, pinned, budget, role_of, fairness=fairness)

    async def start(self, reap_every: float) -> None:
        """Open the shared tier and start unpinning idle guilds every ``reap_every`` s."""
        await self.shared.start()
        self._reaper = asyncio.create_task(self._reap_forever(reap_every), name="tenant-reaper")

    @contextlib.asynccontextmanager
    async def lease(self, guild_id: int) -> AsyncIterator[LeasedClient]:
        """A client bound to the guild's schema for the duration of the block."""
        if self._closed:
            raise ClientCacheClosed("the guild connection layer is closed")
        uses = self.admission.record(guild_id)
        pinned = await self.pinned.try_acquire(guild_id) if self.budget.pinned_slots else None
        if pinned is not None:
            entry, conn = pinned
            client = LeasedClient(TENANT_ALIAS, guild_id, conn)
            try:
                yield client
            finally:
                client.revoke()
                await self.pinned.release(entry, conn)
            return
        if self.pinned.is_pinned(guild_id):
            self._overflows += 1
        elif self.budget.pinned_slots:
            self.pinned.consider(guild_id, uses, self.admission)
        async with self._shared_lease(guild_id) as client:
            yield client

    @contextlib.asynccontextmanager
    async def _shared_lease(self, guild_id: int) -> AsyncIterator[LeasedClient]:
        """A shared-tier lease within the guild's fair share (overflow of a pinned guild too)."""
        await self.fair.acquire(guild_id)  # bounded wait, else GuildBusy
        try:
            index, conn = await self.shared.acquire(
                guild_id, schema_for(guild_id), self._role_of(guild_id)
            )
        except BaseException:
            self.fair.release(guild_id)
            raise
        client = LeasedClient(TENANT_ALIAS, guild_id, conn)
        try:
            yield client
        finally:
            client.revoke()
            try:
                await self.shared.release(index, conn)
            finally:
                # After the connection is back, so the guild's next lease finds it idle.
                self.fair.release(guild_id)

    async def pin(self, guild_id: int) -> bool:
        """Give the guild a pinned client now, whatever its frequency (see PinnedTier.pin)."""
        return await self.pinned.pin(guild_id)

    def evict(self, guild_id: int) -> None:
        """Unpin the guild (its client closes once no lease uses it)."""
        self.pinned.evict(guild_id)

    async def _reap_forever(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            self.pinned.reap_idle()

    async def close(self) -> None:
        """Stop the reaper and close both tiers."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        await self.pinned.close()
        await self.shared.close()

    def stats(self) -> ConnectionStats:
        """A snapshot of both tiers' counters and open connections."""
        pinned = self.pinned
        return ConnectionStats(
            hits=pinned.hits,
            misses=pinned.misses,
            overflows=self._overflows,
            evictions=pinned.evictions,
            promotions=pinned.promotions,
            pinned_clients=len(pinned.pinned_guilds()),
            leased_clients=pinned.leased_clients(),
            capacity=pinned.capacity,
            pinned_connections=pinned.open_connections(),
            shared_connections=self.shared.open_connections(),
            shared_leases=self.shared.leases,
            budget=self.budget.total,
            guild_shared_cap=self.fair.limits.max_shared_leases,
            leases_delayed=self.fair.delayed,
            leases_refused_wait_timeout=self.fair.refused[WAIT_TIMEOUT],
            leases_refused_queue_full=self.fair.refused[QUEUE_FULL],
        )
