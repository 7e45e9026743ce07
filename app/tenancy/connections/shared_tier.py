"""The shared tier: one bounded pool of neutral connections that any guild may lease.

Its connections are opened with ``search_path`` pinned to a schema that does not exist (the
sentinel also used by the static "tenant" connection), so an unbound connection can never see
a guild's tables. A lease binds the guild's schema and role with one round trip
(``SET search_path``, ``SET ROLE``); the release runs
:func:`~app.tenancy.connections.session.reset_session`, which returns the connection to the
sentinel and the login. No connection is opened per guild.

asyncpg's statement cache is per connection and keyed by query text, so the same ORM query is
prepared once and reused by every guild: PostgreSQL re-parses a prepared statement when
``search_path`` differs from the one it was planned with, so each guild reads its own table
(pinned by tests/tenancy/test_shared_tier.py).
"""

from __future__ import annotations

import asyncio

import asyncpg

from app.tenancy.connections.config import ServerAddress
from app.tenancy.connections.handoff import WaitQueue
from app.tenancy.connections.session import init_session, release_quietly, reset_session
from app.tenancy.errors import ClientCacheClosed
from app.tenancy.naming import UNBOUND_SCHEMA, quote_role, quote_schema

#: A shared connection is replaced after this many queries (a few thousand leases): a backend
#: keeps the catalog entries of every guild schema it touched (~13-50 KB each, never given
#: back), so one that visited every guild of a large instance would grow to hundreds of MB.
MAX_QUERIES = 20_000

#: ``application_name`` of shared-tier connections (to count them in pg_stat_activity).
SHARED_TIER_APPLICATION_NAME = "guildhall-shared-tier"


#: Connections per home pool: a guild's leases go to its home pool first, so each backend
#: keeps the catalog entries of a fraction of the guilds only (warmer and smaller caches).
HOME_POOL_SIZE = 2


class SharedTier:
    """Bounded asyncpg pools whose connections are bound to one guild per lease.

    The tier's ``size`` connections are split into small *home* pools; a guild leases from its
    home pool (a hash of its id) while that has a free connection, else from the least busy
    other pool; when every connection is leased it waits in one queue for the whole tier,
    where a waiter whose home is the freed pool may pass the others a bounded number of times.
    """

    def __init__(self, address: ServerAddress, *, size: int) -> None:
        if size < 1:
            raise ValueError("the shared tier needs at least one connection")
        self._address = address
        self.size = size
        sizes = [HOME_POOL_SIZE] * (size // HOME_POOL_SIZE)
        if size % HOME_POOL_SIZE:
            sizes.append(size % HOME_POOL_SIZE)
        self._sizes = sizes
        self._pools: list[asyncpg.Pool] = []
        self._busy = [0] * len(sizes)
        self._waiters = WaitQueue()
        self.leases = 0
        self.borrowed = 0

    async def start(self) -> None:
        """Create the pools (connections open on demand, up to ``size`` in all)."""
        self._pools = [
            await asyncpg.create_pool(
                self._address.dsn,
                min_size=0,
                max_size=size,
                max_queries=MAX_QUERIES,
                server_settings={
                    "search_path": UNBOUND_SCHEMA,
                    "application_name": SHARED_TIER_APPLICATION_NAME,
                },
                init=init_session,
                reset=reset_session,
            )
            for size in self._sizes
        ]

    def _home(self, guild_id: int) -> int:
        """The guild's home pool: a multiplicative hash of its id."""
        return (guild_id * 0x9E3779B97F4A7C15 >> 32) % len(self._sizes)

    def _pick(self, guild_id: int) -> int | None:
        """The guild's home pool if it has a free connection, else the least busy pool with
        one, else None (every connection is leased)."""
        home = self._home(guild_id)
        if self._busy[home] < self._sizes[home]:
            return home
        free = [i for i, busy in enumerate(self._busy) if busy < self._sizes[i]]
        if not free:
            return None
        self.borrowed += 1
        return min(free, key=lambda i: self._busy[i] / self._sizes[i])

    async def _reserve(self, guild_id: int) -> int:
        # One queue for the whole tier: a waiter is handed the first connection freed anywhere
        # (so a busy home pool never holds a lease up while another pool sits idle), a newcomer
        # never overtakes a waiter, and a waiter of the freed pool may overtake others a
        # bounded number of times (see _next_waiter).
        if not self._waiters:
            index = self._pick(guild_id)
            if index is not None:
                self._busy[index] += 1
                return index
        waiter = self._waiters.join(guild_id, self._home(guild_id))
        try:
            return await waiter.handed
        except asyncio.CancelledError:
            if waiter.handed.done() and not waiter.handed.cancelled():
                self._unreserve(waiter.handed.result())  # handed over as we were cancelled
            else:
                self._waiters.leave(waiter)
            raise

    async def acquire(
        self, guild_id: int, schema: str, role: str
    ) -> tuple[int, asyncpg.Connection]:
        """A connection bound to ``schema`` (a ``guild_<id>`` name), running as ``role``;
        returned with the index of its pool, which :meth:`release` needs."""
        pools = self._started()
        index = await self._reserve(guild_id)
        try:
            # Never waits: the reservation guarantees this pool has a free connection.
            conn: asyncpg.Connection = await pools[index].acquire()
        except BaseException:
            self._unreserve(index)
            raise
        try:
            # The quote functions refuse anything but guild_<digits> and gh_<tag>_<id>: no
            # identifier reaches SQL unchecked. One simple-protocol round trip, nothing
            # prepared; the release's RESET ROLE / RESET ALL undo both.
            await conn.execute(
                f"SET search_path TO {quote_schema(schema)}; SET ROLE {quote_role(role)}"
            )
        except BaseException:
            await self.release(index, conn)
            raise
        self.leases += 1
        return index, conn

    async def release(self, index: int, conn: asyncpg.Connection) -> None:
        """Return a connection; the pool's reset hook makes it neutral again.

        A connection that cannot be reset is closed by the pool (a fresh one replaces it):
        that is logged, not raised, since the lease's own work is already done.
        """
        try:
            await release_quietly(self._started()[index], conn, tier="shared")
        finally:
            self._unreserve(index)

    def _unreserve(self, index: int) -> None:
        self._busy[index] -= 1
        waiter = self._waiters.take(index)
        if waiter is not None:
            chosen = self._pick(waiter.guild_id)
            assert chosen is not None, "a connection was just freed"
            self._busy[chosen] += 1
            waiter.handed.set_result(chosen)

    @property
    def overtakes(self) -> int:
        """Hand-offs that went to a waiter of the freed pool ahead of earlier waiters."""
        return self._waiters.overtakes

    def waiting(self) -> int:
        """Leases waiting for a connection now."""
        return len(self._waiters)

    def open_connections(self) -> int:
        """Connections this tier holds open now."""
        return sum(int(pool.get_size()) for pool in self._pools)

    def idle_connections(self) -> int:
        """Open connections not leased right now."""
        return sum(int(pool.get_idle_size()) for pool in self._pools)

    async def close(self) -> None:
        """Close every connection (waits up to 10 s for leases to return, then cuts them)."""
        pools, self._pools = self._pools, []
        for pool in pools:
            try:
                await asyncio.wait_for(pool.close(), timeout=10)
            except TimeoutError:
                pool.terminate()

    def _started(self) -> list[asyncpg.Pool]:
        if not self._pools:
            raise ClientCacheClosed("the shared connection tier is closed")
        return self._pools
