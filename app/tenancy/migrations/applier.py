"""Apply aerich migration files to one schema, in one transaction.

aerich's own ``Command`` keeps its state in class attributes and re-initialises Tortoise
(docs/library-behaviour.md, "aerich: per-schema state"), so Guildhall applies the same files
itself: for each file not yet recorded in the schema's ``aerich`` table, run its ``upgrade()``
SQL and record it, exactly as aerich does.

The work for one schema is one SQL script (:func:`upgrade_script`), sent in one round trip:
lock the schema, check its aerich state is what the caller planned from, run the pending
files, record them, and keep the registry's ``schema_version`` in sync in the same
transaction. The fleet runner (:mod:`app.tenancy.migrations.fleet`) sends these scripts batched
over asyncpg; :func:`upgrade_schema` sends one through Tortoise.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.tenancy.locks import schema_lock_sql
from app.tenancy.migrations.files import (
    MigrationFile,
    MigrationFileError,
    list_migrations,
    models_state_json,
    upgrade_sql,
)
from app.tenancy.naming import (
    SCHEMA_PATTERN,
    SHARED_SCHEMA,
    guild_id_of,
    quote_any_schema,
    quote_role,
)

#: An ALTER waits behind bot queries on the same table; give up rather than stall a deploy.
LOCK_TIMEOUT = "5s"


#: aerich 0.10's own table, exactly as Tortoise generates it for ``aerich.models`` (so a
#: provisioned schema and a replayed one match). The tenant app's initial migration does not
#: create it (aerich's init-db does that), so replaying from scratch must.
AERICH_TABLE = """CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);"""

#: SQLSTATE the guard raises when a schema's aerich state is not what the plan assumed.
STATE_CHANGED = "GH001"


def search_path_sql(schema: str) -> str:
    """``SET LOCAL search_path`` to one schema (shared, a validated guild schema, a scratch)."""
    return f"SET LOCAL search_path TO {quote_any_schema(schema)}"


def _literal(text: str) -> str:
    """A dollar-quoted SQL literal of ``text`` (immune to ``standard_conforming_strings``)."""
    tag, n = "$gh$", 0
    while tag in text:
        n += 1
        tag = f"$gh{n}$"
    return f"{tag}{text}{tag}"


def _text_array(values: Collection[str]) -> str:
    # Versions match VERSION_PATTERN (letters, digits, _ and .), so quoting is plain.
    return "ARRAY[" + ", ".join(f"'{v}'" for v in sorted(values)) + "]::text[]"


@dataclass(frozen=True)
class SchemaPlan:
    """What migrating one schema means: what it holds now, what to apply, where it ends."""

    schema: str
    app: str
    applied: frozenset[str]
    pending: tuple[MigrationFile, ...]
    #: The schema's version once the plan ran (the newest file it then holds).
    version: str

    @property
    def guild_id(self) -> int | None:
        """The guild whose registry row follows this schema (None for shared/scratch)."""
        return guild_id_of(self.schema) if SCHEMA_PATTERN.match(self.schema) else None


def plan_schema(
    schema: str, app: str, applied: Collection[str], migrations: Sequence[MigrationFile]
) -> SchemaPlan:
    """The plan that brings ``schema`` (holding ``applied``) to the newest of ``migrations``.

    Raises :class:`MigrationFileError` when the schema holds a version no file here knows:
    a newer release migrated it, and this one must not guess what to do.
    """
    known = {m.version for m in migrations}
    unknown = sorted(set(applied) - known)
    if unknown:
        raise MigrationFileError(
            f"{schema} has {app} migration(s) this release does not know ({', '.join(unknown)}); "
            "deploy the release that has them"
        )
    pending = tuple(m for m in migrations if m.version not in applied)
    return SchemaPlan(
        schema=schema,
        app=app,
        applied=frozenset(applied),
        pending=pending,
        version=migrations[-1].version if migrations else "",
    )


def expected_applied(version: str, migrations: Sequence[MigrationFile]) -> frozenset[str] | None:
    """What a schema whose registry says ``version`` holds, or None if that is not a file."""
    names = [m.version for m in migrations]
    if version not in names:
        return None
    return frozenset(names[: names.index(version) + 1])


#: The guard as a session-local function, created once per connection by callers that send
#: many scripts (the fleet runner): an anonymous DO block is compiled anew for every schema.
GUARD_FUNCTION = f"""CREATE OR REPLACE FUNCTION
pg_temp.guildhall_guard(applied text[], expected text[]) RETURNS void LANGUAGE plpgsql AS $guard$
BEGIN
  IF NOT (applied @> expected AND applied <@ expected) THEN
    RAISE EXCEPTION USING ERRCODE = '{STATE_CHANGED}',
      MESSAGE = 'aerich state of ' || current_schema() || ' changed since it was read';
  END IF;
END $guard$"""


def _guard(plan: SchemaPlan, *, function: bool) -> list[str]:
    expected = _text_array(plan.applied)
    if function and plan.applied:
        # A schema the plan says has migrations has its aerich table: query it directly.
        call = "SELECT pg_temp.guildhall_guard(ARRAY(SELECT version::text FROM {table} "
        call += "WHERE app = '{app}'), {expected});"
        return [call.format(table='"aerich"', app=plan.app, expected=expected)]
    return [
        # EXECUTE: a schema without an aerich table yet must not fail at plan time.
        "DO $guildhall_guard$ DECLARE applied text[] := '{}'; BEGIN",
        "  IF to_regclass('aerich') IS NOT NULL THEN",
        "    EXECUTE 'SELECT coalesce(array_agg(version), ''{}'') FROM aerich WHERE app = $1'",
        f"      INTO applied USING '{plan.app}';",
        "  END IF;",
        f"  IF NOT (applied @> {expected} AND applied <@ {expected}) THEN",
        f"    RAISE EXCEPTION USING ERRCODE = '{STATE_CHANGED}',",
        "      MESSAGE = 'aerich state of ' || current_schema() || ' changed since it was read';",
        "  END IF;",
        "END $guildhall_guard$;",
    ]


async def upgrade_script(
    plan: SchemaPlan, *, guard_function: bool = False, role: str | None = None
) -> str:
    """The SQL that carries out ``plan`` inside the caller's transaction (or savepoint).

    It takes the schema's advisory lock, then a guard raises SQLSTATE ``GH001`` unless the
    schema's aerich table holds exactly ``plan.applied`` (another runner got there first, or
    the registry was stale), so a plan made from the registry is never applied blindly.
    With ``guard_function`` the guard calls :data:`GUARD_FUNCTION`, which the caller created
    on its connection. With ``role`` (a guild's), the migration runs as that role, so what it
    creates belongs to the guild (:mod:`app.tenancy.schemas.roles`); the registry update after
    it runs as the login again.
    """
    bodies = [await upgrade_sql(m) for m in plan.pending]  # validates the files first
    lines = [
        schema_lock_sql(plan.schema) + ";",
        search_path_sql(plan.schema) + ";",
        *([f"SET LOCAL ROLE {quote_role(role)};"] if role else []),
        *_guard(plan, function=guard_function),
    ]
    lines += [f"{body.strip()}\n;" for body in bodies]
    if plan.pending:
        if not plan.applied:
            lines.append(AERICH_TABLE)
        rows = ", ".join(
            f"('{m.version}', '{plan.app}', {_literal(models_state_json(m.path))}::jsonb)"
            for m in plan.pending
        )
        # Versions match VERSION_PATTERN and the content is dollar-quoted: nothing to inject.
        lines.append(f'INSERT INTO "aerich" ("version", "app", "content") VALUES {rows};')  # noqa: S608
    if role:
        lines.append("RESET ROLE;")
    if plan.guild_id is not None:
        # Same transaction as the DDL: "which schemas are behind" stays one registry query.
        version = f"'{plan.version}'"  # a validated version
        sync = 'UPDATE "shared"."tenant" SET "schema_version" = {v} WHERE "guild_id" = {g} '
        sync += 'AND "schema_version" IS DISTINCT FROM {v};'
        lines.append(sync.format(v=version, g=int(plan.guild_id)))
    return "\n".join(lines)


async def applied_versions(conn: BaseDBAsyncClient, app: str) -> set[str]:
    """Versions recorded in the current search_path's ``aerich`` table (empty if none)."""
    # to_regclass instead of catching the error: an error would abort the caller's transaction.
    present = await conn.execute_query_dict("SELECT to_regclass('aerich') IS NOT NULL AS ok")
    if not present[0]["ok"]:
        return set()
    rows = await conn.execute_query_dict('SELECT version FROM "aerich" WHERE app = $1', [app])
    return {row["version"] for row in rows}


async def record_versions(
    conn: BaseDBAsyncClient, app: str, migrations: list[MigrationFile]
) -> None:
    """Insert aerich rows for ``migrations`` into the current search_path's ``aerich``."""
    await conn.execute_many(
        'INSERT INTO "aerich" ("version", "app", "content") VALUES ($1, $2, $3::jsonb)',
        [[m.version, app, models_state_json(m.path)] for m in migrations],
    )


async def upgrade_schema(
    connection_name: str,
    schema: str,
    app: str,
    *,
    create: bool = False,
    root: Path | None = None,
) -> list[str]:
    """Apply every pending migration of ``app`` to ``schema`` in one transaction.

    Returns the versions applied. On any error the transaction rolls back and the schema
    stays exactly at its previous version. Concurrent runs on one schema serialise on an
    advisory lock, and the second finds nothing pending. A guild schema's registry
    ``schema_version`` is updated in the same transaction.
    """
    migrations = list_migrations(app, root)
    set_path = search_path_sql(schema)  # validates the name before anything reaches SQL
    async with in_transaction(connection_name) as conn:
        await conn.execute_script(schema_lock_sql(schema))
        if create:
            await conn.execute_script(f"CREATE SCHEMA IF NOT EXISTS {quote_any_schema(schema)}")
        await conn.execute_script(f"{set_path}; SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        plan = plan_schema(schema, app, await applied_versions(conn, app), migrations)
        await conn.execute_script(await upgrade_script(plan))
    return [m.version for m in plan.pending]


async def migrate_shared(connection_name: str, root: Path | None = None) -> list[str]:
    """Create the shared schema if needed and apply the shared app's pending migrations."""
    return await upgrade_schema(connection_name, SHARED_SCHEMA, "shared", create=True, root=root)
