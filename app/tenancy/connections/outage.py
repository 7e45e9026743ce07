"""Telling "the database is unreachable right now" apart from every other failure."""

from __future__ import annotations

import asyncpg
from tortoise.exceptions import DBConnectionError

from app.tenancy.errors import ClientCacheClosed

#: Errors meaning the server cannot be reached or is not taking work: retrying later helps.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable host, timeouts (TimeoutError is an OSError)
    ConnectionError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.InterfaceError,  # "connection is closed", pool closing
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutdown, starting up
    asyncpg.exceptions.TooManyConnectionsError,
    DBConnectionError,
    ClientCacheClosed,  # the process is shutting down
)


def is_database_unavailable(error: BaseException) -> bool:
    """True if ``error``, or an error it was raised from, says the database is unreachable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _UNAVAILABLE):
            return True
        seen.add(id(current))
        # Only explicit `raise ... from` links: Tortoise and the core wrap driver errors that
        # way, while an implicit __context__ may be an unrelated error handled earlier.
        current = current.__cause__
    return False
