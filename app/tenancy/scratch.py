"""Scratch databases for tests and benchmarks: made for one run, dropped with their guild roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from app.postgres.address import ServerAddress
from app.postgres.server import temporary_database
from app.tenancy.schemas.roles import drop_database_roles


@asynccontextmanager
async def scratch_database(
    server: ServerAddress, prefix: str = "guildhall_tmp"
) -> AsyncIterator[ServerAddress]:
    """A new database ``<prefix>_<random>`` on ``server``; on exit it is dropped, and so are
    the guild roles named after it (roles are cluster-wide: they would outlive it)."""
    name: str | None = None
    try:
        async with temporary_database(server, prefix) as address:
            name = address.database
            yield address
    finally:
        if name is not None:  # after the database: its objects belonged to those roles
            conn = await asyncpg.connect(server.dsn)
            try:
                await drop_database_roles(conn, name)
            finally:
                await conn.close()
