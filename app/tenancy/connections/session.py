"""The state of a pooled connection between leases, and how a lease is undone.

A connection handed to a guild may be changed by that guild's code in ways asyncpg's default
reset (``RESET ALL``) does not undo: ``SET ROLE`` (PostgreSQL leaves ``role`` out of
``RESET ALL``), temporary tables (they would shadow the real table of the next guild),
``DISCARD ALL`` / ``DEALLOCATE ALL`` (they drop the server side of asyncpg's statement cache,
so every cached statement would fail with ``InvalidSQLStatementNameError`` afterwards).

:func:`reset_session` runs, in one round trip, asyncpg's own reset (rollback of an open
transaction, advisory locks, cursors, LISTEN, ``RESET ALL`` — which returns ``search_path`` to
the value the connection was opened with), then resets the role and drops temporary objects,
and finally checks the prepared statements: a *canary* made when the connection was opened must
still be there (else asyncpg's statement cache cannot be trusted) and no statement the lease
PREPAREd itself may be left (its name would collide with the next lease's). Otherwise the reset
raises, and asyncpg's pool closes the connection and opens a fresh one for the next lease. See
docs/library-behaviour.md ("asyncpg: what a pool's release resets").
"""

from __future__ import annotations

import logging

import asyncpg

log = logging.getLogger(__name__)

#: The prepared statement whose absence reveals a DISCARD ALL / DEALLOCATE ALL.
CANARY = "guildhall_canary"  # also spelled out in _EXTRA_RESET below

_EXTRA_RESET = (
    # Neither is part of RESET ALL; harmless when nothing was changed.
    "SET SESSION AUTHORIZATION DEFAULT;\n"
    "RESET ROLE;\n"
    # Temporary tables, sequences and prepared plans of pg_temp: never carried to the next lease.
    "DISCARD TEMP;\n"
    # One row per statement the lease PREPAREd itself, two if the canary is gone: a clean
    # session answers "SELECT 0". asyncpg names its own statements __asyncpg_*.
    "SELECT 1 FROM pg_prepared_statements\n"
    "WHERE name <> 'guildhall_canary' AND name NOT LIKE '\\_\\_asyncpg\\_%'\n"
    "UNION ALL SELECT 1 FROM (VALUES (1), (1)) AS missing (n)\n"
    "WHERE NOT EXISTS (SELECT FROM pg_prepared_statements WHERE name = 'guildhall_canary');"
)


class SessionNotReset(RuntimeError):
    """A connection could not be proven neutral after a lease; the pool drops it."""


async def init_session(conn: asyncpg.Connection) -> None:
    """Prepare the canary on a new connection (asyncpg pool ``init`` hook)."""
    await conn.execute(f"PREPARE {CANARY} AS SELECT 1")


async def reset_session(conn: asyncpg.Connection) -> None:
    """Undo everything a lease may have changed (asyncpg pool ``reset`` hook).

    The pool has already rolled back an open transaction when this runs. Raises
    :class:`SessionNotReset` when the canary is gone, so that the pool closes the connection.
    """
    status = await conn.execute(conn.get_reset_query() + "\n" + _EXTRA_RESET)
    # A simple-protocol script answers with the last command's tag: "SELECT <rows>".
    if status != "SELECT 0":
        raise SessionNotReset(
            "a lease prepared statements of its own or dropped the connection's "
            "(DISCARD ALL?); the connection is closed instead of being reused"
        )


async def release_quietly(pool: asyncpg.Pool, conn: asyncpg.Connection, *, tier: str) -> None:
    """Give ``conn`` back to ``pool``; a failed reset closes it and is logged, not raised.

    asyncpg terminates a connection whose reset failed and re-raises; the lease's work is
    already done by then, so the caller must not see an error for it.
    """
    try:
        await pool.release(conn)
    except SessionNotReset as exc:
        log.warning("%s tier: %s", tier, exc)
    except Exception as exc:  # the server went away meanwhile: the pool reconnects later
        log.warning(
            "%s tier: releasing a connection failed (%s: %s)", tier, type(exc).__name__, exc
        )
