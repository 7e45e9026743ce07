"""The one way Guildhall sends DDL: one statement per call, inside the caller's transaction.

PostgreSQL accepts a script of many statements in one query message, but Citus forwards the
raw text of a DDL command to its workers, which refuse a text holding several commands
("cannot insert multiple commands into a prepared statement"; docs/library-behaviour.md,
"Citus: one command per message"). So every script Guildhall sends — a guild schema's tables,
a migration file's SQL, the statements around them — goes through :func:`execute_ddl`, which
splits it (sqlparse: it knows quotes, dollar quotes and comments) and sends each statement in
a call of its own. The split of a script is cached: the tenant DDL and each migration file are
parsed once per process, and a statement without a ``;`` inside it is not parsed at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

import sqlparse

#: Sends one statement on a connection.
Send = Callable[[str], Awaitable[Any]]


def _is_single(text: str) -> bool:
    """True when ``text`` cannot hold two statements: no ``;`` before its last character."""
    return ";" not in text.rstrip().rstrip(";")


def _is_empty(statement: str) -> bool:
    """True for a fragment holding only whitespace and comments (nothing to send)."""
    return not sqlparse.format(statement, strip_comments=True).strip(" \n\t;")


@lru_cache(maxsize=512)
def split_statements(script: str) -> tuple[str, ...]:
    """The statements of ``script``, in order, each exactly as written (comments-only and
    empty fragments dropped)."""
    if _is_single(script):
        return (script,) if script.strip() else ()
    return tuple(s for s in sqlparse.split(script) if not _is_empty(s))


def sender(conn: Any) -> Send:
    """How to send one statement on ``conn``: an asyncpg connection or a Tortoise client."""
    script = getattr(conn, "execute_script", None)
    if script is not None:  # Tortoise: a client or a transaction
        return script  # type: ignore[no-any-return]
    return conn.execute  # type: ignore[no-any-return]


async def execute_ddl(conn: Any, *scripts: str) -> None:
    """Send every statement of ``scripts`` on ``conn``, one statement per call, in order.

    ``conn`` is an asyncpg connection or a Tortoise client; the caller owns the transaction
    (a failing statement raises and leaves it to the caller to roll back).
    """
    send = sender(conn)
    for script in scripts:
        for statement in split_statements(script):
            await send(statement)


async def fetch_rows(conn: Any, sql: str, *args: Any) -> list[Any]:
    """Rows of one query on an asyncpg connection, a Tortoise client or a
    :data:`~app.tenancy.migrations.versions.Fetch` (rows read by key either way)."""
    if hasattr(conn, "execute_query_dict"):  # a Tortoise client
        return list(await conn.execute_query_dict(sql, list(args)))
    if hasattr(conn, "fetch"):  # an asyncpg connection
        return list(await conn.fetch(sql, *args))
    return list(await conn(sql, list(args)))  # a Fetch
