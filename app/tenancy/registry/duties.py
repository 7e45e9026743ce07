"""Background duties that run in one process at a time, however many share the database.

Several bot processes (one per shard range) run the same background work: refilling the spare
schemas and the daily retention sweep. Each is guarded by a PostgreSQL advisory lock that is
only ever *tried*: the process that gets it does the work, the others skip that round instead
of queueing behind it. A duty made of transactions that each do a step (the spare refill)
tries the lock inside each step's own transaction (:func:`try_xact_lock`), so it costs no
connection of its own; a duty that spans many transactions (the retention sweep) holds a
session lock on one connection for its duration (:func:`exclusive`). Either way a process that
dies mid-duty releases the lock with its connection.

Every duty's key is here, in the two-integer key space (``LOCK_CLASS``, duty) that the
one-key locks of :mod:`app.tenancy.locks` (guild ids, hashed schema names) and the
``hashtext`` locks on spare names never use.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import IntEnum
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from app.tenancy.connections.config import SHARED_ALIAS

log = logging.getLogger(__name__)

T = TypeVar("T")

#: First key of every duty lock: "GH" (0x4748), so ``pg_locks`` shows whose locks they are.
LOCK_CLASS = 0x4748


class Duty(IntEnum):
    """Work one process at a time does; the value is the advisory lock's second key."""

    SPARE_REFILL = 1
    RETENTION_SWEEP = 2


async def try_xact_lock(conn: BaseDBAsyncClient, duty: Duty) -> bool:
    """Take ``duty``'s lock until ``conn``'s open transaction ends, if it is free; never waits."""
    rows = await conn.execute_query_dict(
        "SELECT pg_try_advisory_xact_lock($1, $2) AS mine", [LOCK_CLASS, int(duty)]
    )
    return bool(rows[0]["mine"])


@contextlib.asynccontextmanager
async def exclusive(duty: Duty) -> AsyncIterator[bool]:
    """Try to take ``duty``'s lock; yields whether this process holds it for the block.

    Never waits: when another process holds the lock the block runs with ``False`` (and
    should skip the work). The lock lives on its own connection of the shared pool, not in a
    transaction: the duty's own queries commit one by one as they would without the lock.
    """
    shared: Any = connections.get(SHARED_ALIAS)
    async with shared.acquire_connection() as conn:
        mine = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, duty))
        try:
            yield mine
        finally:
            if mine:
                # The pool's release would unlock too; say it here, where it was taken.
                await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_CLASS, duty)


async def run_exclusively(duty: Duty, work: Callable[[], Awaitable[T]]) -> T | None:
    """Run ``work()`` if no other process is doing ``duty`` now; None when one is."""
    async with exclusive(duty) as mine:
        if not mine:
            log.debug("%s: another process is at it; skipping this round", duty.name.lower())
            return None
        return await work()
