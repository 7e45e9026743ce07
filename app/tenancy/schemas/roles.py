"""Per-guild database roles: every table of a guild schema belongs to the guild's own role.

A guild's connections run as that role (:mod:`app.tenancy.connections`), so PostgreSQL itself
refuses another guild's schema and the shared schema to them, whatever SQL a cog sends. The
role alone is granted the schema (USAGE and CREATE) and owns everything in it; the schema
itself stays the login's, which is what lets a non-superuser login rename it (spares) and
drop it (purge) — PostgreSQL wants the database's CREATE right for those, which guild roles
never get. Roles are ``NOLOGIN``: the process's login is granted membership in each, so it can
``SET ROLE`` to it, and connects on its behalf. On a Citus coordinator they are ``LOGIN``
(with no password): Citus opens its connections to the workers as the current role, so a
guild's queries reach its shards only if its role may log in there (docs/library-behaviour.md,
"Citus: workers see the current role"); who may log in from where stays ``pg_hba.conf``'s call.

These functions run inside the caller's transaction (a Tortoise client or an asyncpg
connection), so a failed provisioning or purge leaves no role behind (role DDL is
transactional).
"""

from __future__ import annotations

from typing import Any

from app.tenancy.migrations.ddl import execute_ddl, fetch_rows
from app.tenancy.naming import database_tag, quote_any_schema, quote_role

_ROLE = """SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1) AS present,
                  EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS citus"""


async def role_exists(conn: Any, role: str) -> bool:
    """Whether ``role`` exists on the server."""
    return bool((await fetch_rows(conn, _ROLE, role))[0]["present"])


async def create_role(conn: Any, role: str) -> None:
    """Create ``role`` (NOLOGIN; LOGIN on Citus) unless it exists, and let the login act as it."""
    quoted = quote_role(role)
    found = (await fetch_rows(conn, _ROLE, role))[0]
    if not found["present"]:
        await execute_ddl(conn, f"CREATE ROLE {quoted} {'LOGIN' if found['citus'] else 'NOLOGIN'}")
    # Membership lets the login SET ROLE to it; with a NOINHERIT login (README, "Database
    # roles") the membership carries no rights until it does.
    await execute_ddl(conn, f"GRANT {quoted} TO CURRENT_USER")


async def drop_role(conn: Any, role: str) -> None:
    """Drop ``role`` if it exists (it must own nothing any more)."""
    await execute_ddl(conn, f"DROP ROLE IF EXISTS {quote_role(role)}")


def give_schema_sql(schema: str, role: str) -> str:
    """SQL making ``role`` the only grantee of ``schema`` and the owner of every table, view
    and sequence in it (idempotent). For schemas made before guilds had roles; the role must
    exist and the login be a member of it.

    The ownership change is a DO block looping over the catalog (sequences owned by a column
    follow their table), so the whole hand-over is two statements, sent one at a time
    (:func:`app.tenancy.migrations.ddl.execute_ddl`).
    """
    # Both names are checked (quote_any_schema, quote_role): digits, letters, underscores only.
    nsp, owner = quote_any_schema(schema).strip('"'), quote_role(role).strip('"')
    hand_over = _HAND_OVER.replace("<schema>", nsp).replace("<role>", owner)
    return f"{grant_schema_sql(schema, role)};\n{hand_over}"


def grant_schema_sql(schema: str, role: str) -> str:
    """SQL making ``role`` a grantee of ``schema``: it may use it and create in it."""
    return f"GRANT USAGE, CREATE ON SCHEMA {quote_any_schema(schema)} TO {quote_role(role)}"


_HAND_OVER = """DO $$ DECLARE r record; BEGIN
FOR r IN SELECT c.relname FROM pg_class c
    WHERE c.relnamespace = '<schema>'::regnamespace AND c.relowner <> '<role>'::regrole
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND NOT (c.relkind = 'S' AND EXISTS (
          SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
LOOP
    EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', '<schema>', r.relname, '<role>');
END LOOP; END $$"""


async def act_as(conn: Any, role: str | None) -> None:
    """Run the rest of ``conn``'s transaction as ``role`` (None: as the login again)."""
    await execute_ddl(conn, f"SET LOCAL ROLE {quote_role(role)}" if role else "RESET ROLE")


async def drop_database_roles(admin: Any, database: str) -> int:
    """Drop every guild role of ``database`` (after the database itself was dropped: roles
    are cluster-wide and outlive it); returns how many. ``admin`` is an asyncpg connection."""
    prefix = f"gh_{database_tag(database)}_"
    names = [
        row["rolname"]
        for row in await admin.fetch(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", prefix
        )
    ]
    for name in names:
        await execute_ddl(admin, f"DROP ROLE IF EXISTS {quote_role(name)}")
    return len(names)
