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
import logging
import time

import asyncpg

from app.tenancy.connections.config import ServerAddress
from app.tenancy.connections.handoff import WaitQueue
from app.tenancy.connections.session import init_session, release_quietly, reset_session
from app.tenancy.errors import ClientCacheClosed
from app.tenancy.naming import UNBOUND_SCHEMA, quote_role, quote_schema

log = logging.getLogger(__name__)

#: A shared connection is replaced after this many queries (a few thousand leases): a backend
#: keeps the catalog entries of every guild schema it touched (~13-50 KB each, never given
#: back), so one that visited every guild of a large instance would grow to hundreds of MB.
MAX_QUERIES = 20_000

#: ``application_name`` of shared-tier connections (to count them in pg_stat_activity).
SHARED_TIER_APPLICATION_NAME = "guildhall-shared-tier"

#: On a Citus coordinator a backend keeps a connection to each worker for every role it acted
#: as (docs/library-behaviour.md, "Citus: workers see the current role"), and a shared
#: connection acts as one guild after another: with Citus's default lifetime (10 minutes) it
#: would hold one per guild served in that time on every worker. Kept this long instead
#: (closed at the first commit after it), a guild used again soon reuses its worker connection
#: (a lease ~2 ms) and the rest are bounded by recent activity; turning the cache off made
#: every lease open one (~11 ms; README, "Capacity"). On plain PostgreSQL an unused
#: placeholder setting.
WORKER_CONNECTION_LIFETIME_MS = 10_000


#: Connections per home pool: a guild's leases go to its home pool first, so each backend
#: keeps the catalog entries of a fraction of the guilds only (warmer and smaller caches).
HOME_POOL_SIZE = 2

#: After the server refuses a connection (``max_connections``, or the role's or database's
#: ``CONNECTION LIMIT``, below the budget), the tier serves with the connections it has for
#: this long before it tries to open one more: one attempt per period, not one per lease.
CEILING_SECONDS = 10.0
#: With no connection at all, leases fail at once for this long after a refusal.
EMPTY_RETRY_SECONDS = 1.0


class SharedTier:
    """Bounded asyncpg pools whose connections are bound to one guild per lease.

    The tier's ``size`` connections are split into small *home* pools; a guild leases from its
    home pool (a hash of its id) while that has a free connection, else from the least busy
    other pool; when every connection is leased it waits in one queue for the whole tier,
    where a waiter whose home is the freed pool may pass the others a bounded number of times.

    When the server refuses a new connection (it allows fewer than the budget), the tier
    lowers its ceiling to what it holds and leases wait for those instead of reconnecting;
    only with nothing open or being opened does a lease fail, with the server's one-line error.
    """

    def __init__(
        self,
        address: ServerAddress,
        *,
        size: int,
        worker_connection_lifetime_ms: int = WORKER_CONNECTION_LIFETIME_MS,
    ) -> None:
        if size < 1:
            raise ValueError("the shared tier needs at least one connection")
        self._address = address
        self._worker_connection_lifetime_ms = worker_connection_lifetime_ms
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
        #: Connections the server let the tier have, once it refused one (None: no limit met).
        self.ceiling: int | None = None
        self._ceiling_until = 0.0
        #: When the server last refused a connection while the tier held none, and why.
        self._refused_empty_at = -CEILING_SECONDS
        self._refusal = ""

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
                    "citus.max_cached_connection_lifetime": str(
                        self._worker_connection_lifetime_ms
                    ),
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
        one, else None (every connection is leased, or the server's ceiling is reached)."""
        free = self._free_pools()
        if not free:
            return None
        home = self._home(guild_id)
        if home in free:
            return home
        self.borrowed += 1
        return min(free, key=lambda i: self._busy[i] / self._sizes[i])

    def _free_pools(self) -> list[int]:
        free = [i for i, busy in enumerate(self._busy) if busy < self._sizes[i]]
        if self.ceiling is None or not free:
            return free
        if time.monotonic() >= self._ceiling_until:
            self.ceiling = None  # try the server again: it may allow more by now
            return free
        if sum(self._busy) >= self.ceiling:
            return []
        # Under the ceiling, prefer a pool with an idle open connection over opening one.
        pools = self._pools
        idle = [i for i in free if pools and self._busy[i] < pools[i].get_size()]
        return idle or free

    async def _reserve(self, guild_id: int) -> int:
        # One queue for the whole tier: a waiter is handed the first connection freed anywhere
        # (so a busy home pool never holds a lease up while another pool sits idle), a newcomer
        # never overtakes a waiter, and a waiter of the freed pool may overtake others a
        # bounded number of times (handoff.WaitQueue.take).
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
        while True:
            self._refuse_fast()
            index = await self._reserve(guild_id)
            try:
                # Never waits: the reservation guarantees this pool has a free connection.
                conn: asyncpg.Connection = await pools[index].acquire()
                break
            except asyncpg.TooManyConnectionsError as exc:
                self._refused(exc)  # lowers the ceiling first, so no waiter retries at once
                self._unreserve(index)
                if sum(self._busy) == 0 and self.open_connections() == 0:
                    raise  # nothing to wait for: the server's own one line
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
            if chosen is None:  # the ceiling was lowered meanwhile: keep waiting
                self._waiters.put_back(waiter)
                return
            self._busy[chosen] += 1
            waiter.handed.set_result(chosen)

    @property
    def overtakes(self) -> int:
        """Hand-offs that went to a waiter of the freed pool ahead of earlier waiters."""
        return self._waiters.overtakes

    def waiting(self) -> int:
        """Leases waiting for a connection now."""
        return len(self._waiters)

    def _refuse_fast(self) -> None:
        """With nothing open and a refusal under a second old, fail without asking again."""
        recent = time.monotonic() - self._refused_empty_at < EMPTY_RETRY_SECONDS
        if recent and sum(self._busy) == 0 and self.open_connections() == 0:
            raise asyncpg.TooManyConnectionsError(self._refusal)

    def _refused(self, exc: asyncpg.TooManyConnectionsError) -> None:
        """The server allows no more connections: serve with those held or being opened."""
        held = max(sum(self._busy) - 1, self.open_connections())  # minus the refused one
        if held == 0:
            if time.monotonic() - self._refused_empty_at >= CEILING_SECONDS:
                log.error("shared tier: the server refused every connection (%s)", exc)
            self._refused_empty_at, self._refusal = time.monotonic(), str(exc)
            return
        if self.ceiling is None:
            log.warning(
                "shared tier: the server refused a connection (%s); serving with %d of %d "
                "for %g s. DB_CONNECTION_BUDGET is more than the server allows: lower it, or "
                "raise the limit (guildhall doctor)", exc, held, self.size, CEILING_SECONDS,
            )  # fmt: skip
        self.ceiling = held if self.ceiling is None else min(self.ceiling, held)
        self._ceiling_until = time.monotonic() + CEILING_SECONDS

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
