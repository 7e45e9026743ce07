"""A login of the test's own: a non-superuser role and a database it owns, dropped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import asyncpg

from app.tenancy.connections.config import ServerAddress
from app.tenancy.schemas.roles import drop_database_roles


@asynccontextmanager
async def own_login(
    admin: ServerAddress, name: str, *, role_options: str = "", database_options: str = ""
) -> AsyncIterator[ServerAddress]:
    """Role ``name`` (LOGIN NOINHERIT CREATEROLE, then ``role_options``) and database ``name``
    it owns (with ``database_options``), created through the superuser ``admin``; yields the
    address that logs in as it. Drops the database, its guild roles and the role on exit."""
    conn = await asyncpg.connect(admin.dsn)
    try:
        await conn.execute(f'CREATE ROLE "{name}" LOGIN NOINHERIT CREATEROLE {role_options}')
        await conn.execute(f'CREATE DATABASE "{name}" OWNER "{name}" {database_options}')
        yield replace(admin, user=name, password=None, database=name)
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await drop_database_roles(conn, name)
        await conn.execute(f'DROP ROLE IF EXISTS "{name}"')
        await conn.close()
