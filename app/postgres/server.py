"""Which PostgreSQL server to use: ``DATABASE_URL``, or the embedded one under ``DATA_DIR``."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from app.postgres.address import ServerAddress

#: The database Guildhall uses on the embedded server.
EMBEDDED_DATABASE = "guildhall"


@dataclass
class DatabaseServer:
    """The server in use, and the embedded server to stop afterwards (if one was started)."""

    address: ServerAddress
    embedded: object | None = None

    @property
    def is_embedded(self) -> bool:
        """True when Guildhall started the server itself."""
        return self.embedded is not None

    def stop(self) -> None:
        """Stop the embedded server if this process started it; external servers are left."""
        stop = getattr(self.embedded, "stop", None)
        if stop is not None:
            stop()


async def open_server(database_url: str | None, data_dir: Path) -> DatabaseServer:
    """The configured server; starts the embedded one (and its database) when no URL is set."""
    if database_url:
        return DatabaseServer(ServerAddress.from_dsn(database_url))
    from app.postgres.embedded import start_embedded

    embedded = start_embedded(data_dir)
    admin = ServerAddress.from_dsn(embedded.dsn)
    conn = await asyncpg.connect(admin.dsn)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", EMBEDDED_DATABASE
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
    finally:
        await conn.close()
    return DatabaseServer(admin.with_database(EMBEDDED_DATABASE), embedded)


_SCRATCH_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@asynccontextmanager
async def temporary_database(
    server: ServerAddress, prefix: str = "guildhall_tmp"
) -> AsyncIterator[ServerAddress]:
    """A new database ``<prefix>_<random>`` on ``server``, dropped (with its sessions) on exit.

    For tests and benchmarks, which must create what they use and drop what they create; they
    use :func:`app.tenancy.scratch.scratch_database`, which drops the guild roles named after
    the database too (roles are cluster-wide and would outlive it).
    """
    if not _SCRATCH_PREFIX.match(prefix):
        raise ValueError(f"{prefix!r} is not a plain lower-case database name prefix")
    name = f"{prefix}_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(server.dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield server.with_database(name)
    finally:
        conn = await asyncpg.connect(server.dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
