"""The one way a tenant schema is built, for a joining guild, a spare and a reference alike."""

from __future__ import annotations

from typing import Any

from app.tenancy.connections.config import TENANT_APP
from app.tenancy.migrations.applier import search_path_sql, stamp
from app.tenancy.migrations.ddl import execute_ddl
from app.tenancy.migrations.files import list_migrations
from app.tenancy.naming import quote_any_schema
from app.tenancy.schemas.citus import is_citus
from app.tenancy.schemas.roles import act_as, give_schema_sql, grant_schema_sql


async def open_schema(conn: Any, schema: str) -> None:
    """Create ``schema`` (the login's) with ``search_path`` on it for the rest of ``conn``'s
    transaction."""
    await execute_ddl(conn, f"CREATE SCHEMA {quote_any_schema(schema)}", search_path_sql(schema))


async def hand_over(conn: Any, schema: str, role: str) -> None:
    """Give ``role`` the schema (the only grantee) and everything in it (the owner)."""
    await execute_ddl(conn, give_schema_sql(schema, role))


async def build_schema(conn: Any, schema: str, role: str, ddl: str) -> None:
    """Create ``schema``, run the tenant ``ddl`` in it, record the tenant migrations as
    applied (the DDL is the models at the head); ``role`` is its only grantee and owns
    everything in it.

    ``conn`` is a Tortoise client or an asyncpg connection in a transaction; ``search_path``
    stays on the new schema for the rest of it, and the login is the current role again at
    the end. Every statement is sent on its own (:mod:`app.tenancy.migrations.ddl`).

    On plain PostgreSQL ``role`` creates its own tables (``SET LOCAL ROLE``): handing tables
    over afterwards costs about as much server time again as creating them (``ALTER TABLE
    … OWNER`` per table, index, sequence and row type; README, "Scale-out on Citus"). On a Citus
    coordinator the login builds and hands everything over, because a role created in this
    very transaction cannot yet open the connections to the workers that running DDL as it
    would need (docs/library-behaviour.md, "Citus: workers see the current role"). The
    catalog is the same either way.
    """
    await open_schema(conn, schema)
    if await is_citus(conn):
        await execute_ddl(conn, ddl)
        await stamp(conn, TENANT_APP, list_migrations(TENANT_APP))
        await hand_over(conn, schema, role)
        return
    await execute_ddl(conn, grant_schema_sql(schema, role))
    await act_as(conn, role)
    await execute_ddl(conn, ddl)
    await stamp(conn, TENANT_APP, list_migrations(TENANT_APP))
    await act_as(conn, None)
