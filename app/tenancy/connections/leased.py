"""The Tortoise client a binding hands out: one leased connection, revoked when the lease ends.

Both tiers give a lease exactly one asyncpg connection, already bound to the guild's schema.
:class:`LeasedClient` runs every query of the lease on it (serialised, like Tortoise's own
single-connection wrapper) and opens transactions on it, so ``in_transaction("tenant")`` and
every ORM path that falls back to the "tenant" connection stay on this guild.

When the lease ends the client is *revoked*: a query made afterwards — typically by a task
started inside ``guild_db`` that outlived the block — raises :class:`LeaseEnded` instead of
running on a connection that may already serve another guild, or silently reopening a closed
pool.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

import asyncpg
from tortoise import connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import ConnectionWrapper, TransactionContext
from tortoise.exceptions import TransactionManagementError

from app.tenancy.errors import TenancyError


class LeaseEnded(TenancyError):
    """A query used a guild connection after its ``guild_db`` block had ended."""

    def __init__(self, guild_id: int) -> None:
        self.guild_id = guild_id
        super().__init__(
            f"guild {guild_id}: a query ran after its `async with guild_db(...)` block ended "
            "(a task started inside the block outlived it); await such tasks inside the block"
        )


class LeasedClient(AsyncpgDBClient):
    """A Tortoise client over one asyncpg connection that belongs to one guild's lease."""

    def __init__(self, connection_name: str, guild_id: int, conn: asyncpg.Connection) -> None:
        super().__init__(connection_name=connection_name)
        self.guild_id = guild_id
        self._connection = conn
        self._lock = asyncio.Lock()

    def revoke(self) -> None:
        """End the lease: every later query raises :class:`LeaseEnded`."""
        self._connection = None

    @property
    def revoked(self) -> bool:
        """Whether the lease has ended."""
        return self._connection is None

    def _leased(self) -> asyncpg.Connection:
        if self._connection is None:
            raise LeaseEnded(self.guild_id)
        return self._connection

    async def create_connection(self, with_db: bool) -> None:
        # Tortoise calls this to (re)open a missing pool; a lease never opens anything.
        raise LeaseEnded(self.guild_id)

    async def close(self) -> None:
        """Nothing to close: the connection goes back to its tier when the lease ends."""

    def acquire_connection(self) -> ConnectionWrapper[asyncpg.Connection]:
        """The leased connection, serialised between concurrent users of the lease."""
        self._leased()
        return ConnectionWrapper(self._lock, self)

    def _in_transaction(self) -> TransactionContext:
        return _LeasedTransaction(self)


class _LeasedTransaction(TransactionContext):
    """A transaction on the lease's connection (Tortoise's pooled one would take another)."""

    def __init__(self, parent: LeasedClient) -> None:
        self._parent = parent
        self.connection_name = parent.connection_name

    async def __aenter__(self) -> TransactionWrapper:
        self._parent._leased()
        # Holding the lease's lock for the whole transaction keeps other users of the lease
        # from interleaving statements into it; the transaction's own queries use the
        # wrapper's lock.
        await self._parent._lock.acquire()
        token = None
        try:
            self.client = TransactionWrapper(self._parent)
            token = self._token = connections.set(self.connection_name, self.client)
            await self.client.begin()
        except BaseException:
            # A failed BEGIN must not leave the task bound to this wrapper (docs/library-
            # behaviour.md, "Tortoise: a failed BEGIN").
            if token is not None:
                connections.reset(token)
            self._parent._lock.release()
            raise
        return self.client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        try:
            if not self.client._finalized:
                if exc_type is None:
                    await self.client.commit()
                elif exc_type is not TransactionManagementError:
                    await self.client.rollback()
        finally:
            connections.reset(self._token)
            self._parent._lock.release()
