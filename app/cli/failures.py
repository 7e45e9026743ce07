"""Turn a failure to reach the database into the one line the operator needs.

A wrong role or database name in ``DATABASE_URL`` surfaces from deep inside asyncpg or
Tortoise (wrapped in its own connection error), so ``main`` asks here whether an unexpected
exception is one of these before letting it through as a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
from tortoise.exceptions import DBConnectionError

_FIXES: dict[type[BaseException], str] = {
    asyncpg.InvalidAuthorizationSpecificationError: "fix the user in DATABASE_URL",
    asyncpg.InvalidPasswordError: "fix the password in DATABASE_URL",
    asyncpg.InvalidCatalogNameError: (
        "create it (createdb) or fix the database name in DATABASE_URL"
    ),
    asyncpg.InsufficientPrivilegeError: "grant the role CONNECT or fix the user in DATABASE_URL",
    asyncpg.TooManyConnectionsError: (
        "lower DB_CONNECTION_BUDGET or raise the server's max_connections (see DATABASE_URL)"
    ),
    asyncpg.CannotConnectNowError: "the server is starting or stopping; retry (DATABASE_URL)",
}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def database_failure(exc: BaseException) -> str | None:
    """One line describing why the database refused us, or None if ``exc`` is something else."""
    for link in _chain(exc):
        for kind, fix in _FIXES.items():
            if isinstance(link, kind):
                return f"the database refused the connection: {link}; {fix}"
    unreachable = (DBConnectionError, OSError, ConnectionError)
    wrapped = next((link for link in _chain(exc) if isinstance(link, unreachable)), None)
    if wrapped is not None:
        return (
            f"cannot reach the database ({wrapped}); check DATABASE_URL or run `guildhall doctor`"
        )
    return None


async def probe_database(database_url: str) -> None:
    """Open and close one connection, so a refused login fails before anything starts.

    Without it the bot's listener and pools each meet the refusal in their own way (a retry
    warning, a wrapped error) before the one line the operator needs.
    """
    conn = await asyncpg.connect(database_url, timeout=10)  # main() words any refusal
    await conn.close()
