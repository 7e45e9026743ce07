"""Giving guild schemas made before per-guild roles existed their role (``db migrate``).

One catalog query finds every guild schema whose role is missing, lacks the schema grant, or
does not own all of the schema's tables; each is then fixed in a transaction of its own under
the guild's advisory lock (the one provisioning takes), so the pass is idempotent and a run
killed midway resumes where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from app.tenancy.locks import schema_lock_sql
from app.tenancy.migrations.ddl import execute_ddl
from app.tenancy.naming import SCHEMA_PATTERN, database_tag, guild_id_of, role_for
from app.tenancy.schemas.roles import create_role, give_schema_sql

# One pass over pg_class (hash-joined), not a lookup per schema: pg_class has no index on
# relnamespace alone, and a per-schema EXISTS made a no-op pass quadratic (minutes at 10k).
_NEEDING = """
WITH guild AS (
    SELECT n.oid, n.nspname, r.oid AS role
    FROM pg_namespace n LEFT JOIN pg_roles r ON r.rolname = $1 || substr(n.nspname, 7)
    WHERE n.nspname ~ $2
), foreign_owned AS (
    SELECT DISTINCT c.relnamespace AS oid
    FROM pg_class c JOIN guild g ON g.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relowner IS DISTINCT FROM g.role
)
SELECT g.nspname FROM guild g
WHERE g.role IS NULL
   OR NOT has_schema_privilege(g.role, g.oid, 'USAGE')
   OR g.oid IN (SELECT oid FROM foreign_owned)
ORDER BY g.nspname
"""


@dataclass
class RolePassReport:
    """Which guild schemas got their role, and which failed (with why)."""

    given: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


async def schemas_without_role(conn: asyncpg.Connection, database: str) -> list[str]:
    """Guild schemas whose role is missing or does not hold all of the schema."""
    prefix = f"gh_{database_tag(database)}_"
    rows = await conn.fetch(_NEEDING, prefix, SCHEMA_PATTERN.pattern)
    return [row["nspname"] for row in rows]


async def give_roles(conn: asyncpg.Connection, database: str) -> RolePassReport:
    """Give every guild schema that needs it its role; one transaction per schema."""
    report = RolePassReport()
    tag = database_tag(database)
    for schema in await schemas_without_role(conn, database):
        guild_id = guild_id_of(schema)
        role = role_for(tag, guild_id)
        try:
            async with conn.transaction():
                await conn.execute(schema_lock_sql(schema))
                await create_role(conn, role)
                await execute_ddl(conn, give_schema_sql(schema, role))
        except asyncpg.PostgresError as exc:
            report.failed[guild_id] = f"{type(exc).__name__}: {exc}"
        else:
            report.given.append(guild_id)
    return report
