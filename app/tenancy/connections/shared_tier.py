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
from app.tenancy.connections.session import init_session, release_quietly, reset_session
from app.tenancy.errors import ClientCacheClosed
from app.tenancy.naming import UNBOUND_SCHEMA, quote_role, quote_schema

#: A shared connection is replaced after this many queries (a few thousand leases): a backend
#: keeps the catalog entries of every guild schema it touched (~13-50 KB each, never given
#: back), so one that visited every guild of a large instance would grow to hundreds of MB.
MAX_QUERIES = 20_000

#: ``application_name`` of shared-tier connections (to count them in pg_stat_activity).
SHARED_TIER_APPLICATION_NAME = "guildhall-shared-tier"


class SharedTier:
    """A bounded asyncpg pool whose connections are bound to one guild per lease."""

    def __init__(self, address: ServerAddress, *, size: int) -> None:
        if size < 1:
            raise ValueError("the shared tier needs at least one connection")
        self._address = address
        self.size = size
        self._pool: asyncpg.Pool | None = None
        self.leases = 0

    async def start(self) -> None:
        """Create the pool (connections open on demand, up to ``size``)."""
        self._pool = await asyncpg.create_pool(
            self._address.dsn,
            min_size=0,
            max_size=self.size,
            max_queries=MAX_QUERIES,
            server_settings={
                "search_path": UNBOUND_SCHEMA,
                "application_name": SHARED_TIER_APPLICATION_NAME,
            },
            init=init_session,
            reset=reset_session,
        )

    async def acquire(self, schema: str, role: str) -> asyncpg.Connection:
        """A connection bound to ``schema`` (a ``guild_<id>`` name), running as ``role``."""
        pool = self._started()
        conn: asyncpg.Connection = await pool.acquire()
        try:
            # The quote functions refuse anything but guild_<digits> and gh_<tag>_<id>: no
            # identifier reaches SQL unchecked. One simple-protocol round trip, nothing
            # prepared; the release's RESET ROLE / RESET ALL undo both.
            await conn.execute(
                f"SET search_path TO {quote_schema(schema)}; SET ROLE {quote_role(role)}"
            )
        except BaseException:
            await pool.release(conn)
            raise
        self.leases += 1
        return conn

    async def release(self, conn: asyncpg.Connection) -> None:
        """Return a connection; the pool's reset hook makes it neutral again.

        A connection that cannot be reset is closed by the pool (a fresh one replaces it):
        that is logged, not raised, since the lease's own work is already done.
        """
        await release_quietly(self._started(), conn, tier="shared")

    def open_connections(self) -> int:
        """Connections this tier holds open now."""
        return 0 if self._pool is None else int(self._pool.get_size())

    def idle_connections(self) -> int:
        """Open connections not leased right now."""
        return 0 if self._pool is None else int(self._pool.get_idle_size())

    async def close(self) -> None:
        """Close every connection (waits up to 10 s for leases to return, then cuts them)."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        try:
            await asyncio.wait_for(pool.close(), timeout=10)
        except TimeoutError:
            pool.terminate()

    def _started(self) -> asyncpg.Pool:
        if self._pool is None:
            raise ClientCacheClosed("the shared connection tier is closed")
        return self._pool
