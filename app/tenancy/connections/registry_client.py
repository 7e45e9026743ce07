"""The client of the static connections ("shared", the "tenant" sentinel): Tortoise's asyncpg
client, with transactions that are undone when their BEGIN fails or is cancelled.

Tortoise's pooled transaction acquires a connection, binds its wrapper under the alias for the
current task, then sends BEGIN. When the connection dies right then (a database outage), the
exception leaves ``__aenter__`` before anything is undone: the task stays bound to a wrapper
over a dead connection, and every later ``in_transaction`` of that task fails with "connection
has been released back to the pool" — a guild join retried in one task was never provisioned
(docs/library-behaviour.md, "Tortoise: a failed BEGIN"). A cancelled BEGIN left the connection
checked out of the pool for good.
"""

from __future__ import annotations

import contextlib
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections


class _UndoneOnFailedBegin(TransactionContextPooled):
    """Tortoise's pooled transaction; a failed start unbinds and releases before raising."""

    async def __aenter__(self) -> Any:
        try:
            return await super().__aenter__()
        except BaseException:
            token = getattr(self, "token", None)  # set once the connection was acquired
            if token is not None:
                get_connections().reset(token)
                # Its state is unknown (BEGIN may have run; a cancellation may have cut it):
                # closed rather than reset and reused, the pool opens a fresh one. Already
                # closed when it died, and then the pool knows.
                with contextlib.suppress(Exception):
                    self.client._connection.terminate()
            raise


class RegistryClient(AsyncpgDBClient):
    """Tortoise's asyncpg client whose transactions survive a failed BEGIN (see the module)."""

    def _in_transaction(self) -> TransactionContext:
        return _UndoneOnFailedBegin(TransactionWrapper(self), self._pool_init_lock)


#: What Tortoise looks up in an ``engine`` module.
client_class = RegistryClient
