"""The one migration applier: aerich migration files into one schema, one statement at a time.

aerich's own ``Command`` keeps its state in class attributes and re-initialises Tortoise
(docs/library-behaviour.md, "aerich: per-schema state"), so Guildhall applies the same files
itself: for each file not yet recorded in the schema's ``aerich`` table, run its ``upgrade()``
SQL and record it, exactly as aerich does.

:func:`apply_migrations` is the applier every path uses — ``db migrate`` for the shared schema
and for each guild schema (:mod:`app.tenancy.migrations.fleet`), :func:`upgrade_schema`,
``makemigrations``' replay, ``db verify``'s reference schemas. In a savepoint of the caller's
transaction it locks the schema, checks that its aerich state is what the caller planned from,
runs the pending files, records them (:func:`aerich_insert`, the one writer of aerich rows,
which provisioning's stamping uses too) and keeps the registry's ``schema_version`` in sync.
Every statement goes through :func:`app.tenancy.migrations.ddl.execute_ddl`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import connections

from app.tenancy.locks import schema_lock_sql
from app.tenancy.migrations.ddl import execute_ddl, fetch_rows
from app.tenancy.migrations.files import (
    MigrationFile,
    MigrationFileError,
    head_of,
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
LOCK_TIMEOUT_MS = 5000

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

#: On a Citus coordinator with schema-based sharding on, every new schema becomes a distributed
#: schema on some worker. The shared schema (the registry) is created with it off, so it stays
#: a plain schema of the coordinator: registry reads and writes never leave the coordinator.
#: On plain PostgreSQL this sets an unused placeholder setting, harmlessly.
KEEP_ON_COORDINATOR = "SET LOCAL citus.enable_schema_based_sharding TO off"


def search_path_sql(schema: str) -> str:
    """``SET LOCAL search_path`` to one schema (shared, a validated guild schema, a scratch)."""
    return f"SET LOCAL search_path TO {quote_any_schema(schema)}"


def dollar_quoted(text: str) -> str:
    """A dollar-quoted SQL literal of ``text`` (immune to ``standard_conforming_strings``)."""
    tag, n = "$gh$", 0
    while tag in text:
        n += 1
        tag = f"$gh{n}$"
    return f"{tag}{text}{tag}"


def aerich_insert(app: str, migrations: Sequence[MigrationFile]) -> str:
    """The INSERT recording ``migrations`` in the current search_path's ``aerich`` table, as
    aerich records them (the models state of each file)."""
    rows = ", ".join(
        f"('{m.version}', '{app}', {dollar_quoted(models_state_json(m.path))}::jsonb)"
        for m in migrations
    )
    # Versions match VERSION_PATTERN, apps are ours and the content is dollar-quoted.
    return f'INSERT INTO "aerich" ("version", "app", "content") VALUES {rows}'  # noqa: S608


async def stamp(conn: Any, app: str, migrations: Sequence[MigrationFile]) -> None:
    """Record ``migrations`` as applied in the current search_path's ``aerich`` (a schema just
    built at their head from the models' DDL: provisioning, spares)."""
    if migrations:
        await execute_ddl(conn, aerich_insert(app, migrations))


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
    return SchemaPlan(schema, app, frozenset(applied), pending, head_of(migrations))


def expected_applied(version: str, migrations: Sequence[MigrationFile]) -> frozenset[str] | None:
    """What a schema whose registry says ``version`` holds, or None if that is not a file."""
    names = [m.version for m in migrations]
    if version not in names:
        return None
    return frozenset(names[: names.index(version) + 1])


def _guard(plan: SchemaPlan) -> str:
    """A DO block raising ``GH001`` unless the schema's aerich table holds ``plan.applied``.

    A DO block rather than a helper function in ``pg_temp``: on Citus a query calling a
    session's temporary function is pushed to a worker, where that function does not exist.
    """
    # Versions match VERSION_PATTERN (letters, digits, _ and .), so quoting is plain.
    expected = "ARRAY[" + ", ".join(f"'{v}'" for v in sorted(plan.applied)) + "]::text[]"
    # EXECUTE: a schema without an aerich table yet must not fail at plan time. The app and
    # the versions are validated names: nothing to inject.
    return f"""DO $guildhall_guard$ DECLARE applied text[] := '{{}}'; BEGIN
  IF to_regclass('aerich') IS NOT NULL THEN
    EXECUTE 'SELECT coalesce(array_agg(version::text), ''{{}}'') FROM aerich WHERE app = $1'
      INTO applied USING '{plan.app}';
  END IF;
  IF NOT (applied @> {expected} AND applied <@ {expected}) THEN
    RAISE EXCEPTION USING ERRCODE = '{STATE_CHANGED}',
      MESSAGE = 'aerich state of ' || current_schema() || ' changed since it was read';
  END IF;
END $guildhall_guard$"""  # noqa: S608


async def upgrade_statements(plan: SchemaPlan, *, role: str | None = None) -> list[str]:
    """The SQL that carries out ``plan`` inside the caller's transaction (or savepoint).

    It takes the schema's advisory lock, then a guard raises SQLSTATE ``GH001`` unless the
    schema's aerich table holds exactly ``plan.applied`` (another runner got there first, or
    the registry was stale), so a plan made from the registry is never applied blindly.
    With ``role`` (a guild's), the migration runs as that role, so what it creates belongs to
    the guild (:mod:`app.tenancy.schemas.roles`); the registry update after it runs as the
    login again. Each item is a statement or a migration file's SQL (split when sent).
    """
    bodies = [await upgrade_sql(m) for m in plan.pending]  # validates the files first
    sql = [schema_lock_sql(plan.schema), search_path_sql(plan.schema)]
    sql += [f"SET LOCAL ROLE {quote_role(role)}"] if role else []
    sql += [_guard(plan), *bodies]
    if plan.pending:
        sql += [] if plan.applied else [AERICH_TABLE]
        sql.append(aerich_insert(plan.app, plan.pending))
    sql += ["RESET ROLE"] if role else []
    if plan.guild_id is not None:
        # Same transaction as the DDL: "which schemas are behind" stays one registry query.
        version = f"'{plan.version}'"  # a validated version
        sync = 'UPDATE "shared"."tenant" SET "schema_version" = {v} WHERE "guild_id" = {g} '
        sync += 'AND "schema_version" IS DISTINCT FROM {v}'
        sql.append(sync.format(v=version, g=int(plan.guild_id)))
    return sql


async def read_applied(conn: Any, schema: str, app: str) -> set[str]:
    """The one reader of applied versions: those recorded in ``schema``'s ``aerich`` table
    (empty if it has none). ``conn`` is an asyncpg connection, a Tortoise client or a
    :data:`~app.tenancy.migrations.versions.Fetch`."""
    table = f'{quote_any_schema(schema)}."aerich"'
    # to_regclass instead of catching the error: an error would abort the caller's transaction.
    present = await fetch_rows(conn, "SELECT to_regclass($1) IS NOT NULL AS ok", table)
    if not present[0]["ok"]:
        return set()
    rows = await fetch_rows(conn, f"SELECT version FROM {table} WHERE app = $1", app)  # noqa: S608
    return {row["version"] for row in rows}


async def apply_migrations(
    conn: asyncpg.Connection,
    schema: str,
    app: str,
    migrations: Sequence[MigrationFile],
    *,
    expected: Collection[str] | None = None,
    role: str | None = None,
) -> SchemaPlan:
    """Bring ``schema`` to the newest of ``migrations`` inside the caller's transaction, in a
    savepoint of its own; as ``role`` (a guild's) when given.

    ``expected`` is what the caller believes the schema holds (the registry's word); None reads
    it. If the schema turns out to hold something else, it is read once more and re-planned.
    Raises on failure after rolling back to the savepoint (the transaction stays usable).
    """
    for attempt in (1, 2):
        await conn.execute("SAVEPOINT guildhall_schema")
        try:
            if expected is None:
                expected = await read_applied(conn, schema, app)
            plan = plan_schema(schema, app, expected, migrations)
            await execute_ddl(conn, *await upgrade_statements(plan, role=role))
            await conn.execute("RELEASE SAVEPOINT guildhall_schema")
            return plan
        except BaseException as exc:
            await conn.execute("ROLLBACK TO SAVEPOINT guildhall_schema")
            await conn.execute("RELEASE SAVEPOINT guildhall_schema")
            state = getattr(exc, "sqlstate", None)
            if state == STATE_CHANGED and attempt == 1:
                expected = None  # the registry was stale or another runner was first: re-read
                continue
            raise
    raise AssertionError("unreachable")


async def create_local_schema(conn: Any, schema: str) -> None:
    """Create ``schema`` unless it exists, on the coordinator only under Citus
    (:data:`KEEP_ON_COORDINATOR`), in the caller's transaction."""
    quoted = quote_any_schema(schema)
    # Checked first: CREATE SCHEMA IF NOT EXISTS still wants the database's CREATE right.
    found = await fetch_rows(conn, "SELECT to_regnamespace($1) IS NOT NULL AS ok", schema)
    if not found[0]["ok"]:
        await execute_ddl(conn, KEEP_ON_COORDINATOR, f"CREATE SCHEMA {quoted}")


async def upgrade_schema(
    connection_name: str,
    schema: str,
    app: str,
    *,
    create: bool = False,
    root: Path | None = None,
    lock_timeout_ms: int = LOCK_TIMEOUT_MS,
) -> list[str]:
    """Apply every pending migration of ``app`` to ``schema`` in one transaction, on a
    connection of the Tortoise client ``connection_name``.

    Returns the versions applied. On any error the transaction rolls back and the schema
    stays exactly at its previous version. Concurrent runs on one schema serialise on an
    advisory lock, and the second finds nothing pending. A guild schema's registry
    ``schema_version`` is updated in the same transaction.
    """
    migrations = list_migrations(app, root)
    quote_any_schema(schema)  # validates the name before anything reaches SQL
    client = connections.get(connection_name)
    async with client.acquire_connection() as conn, conn.transaction():
        await conn.execute(schema_lock_sql(schema))
        if create:
            await create_local_schema(conn, schema)
        await conn.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'")
        plan = await apply_migrations(conn, schema, app, migrations)
    return [m.version for m in plan.pending]


async def migrate_shared(connection_name: str, root: Path | None = None) -> list[str]:
    """Create the shared schema if needed and apply the shared app's pending migrations."""
    return await upgrade_schema(connection_name, SHARED_SCHEMA, "shared", create=True, root=root)
