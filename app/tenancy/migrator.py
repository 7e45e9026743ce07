"""Apply aerich migration files to one schema, in one transaction.

aerich's own ``Command`` keeps its state in class attributes and re-initialises Tortoise
(FACTS.md), so the runner applies the same files itself: for each file not yet recorded in
the schema's ``aerich`` table, run its ``upgrade()`` SQL and record it, exactly as aerich does.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from types import ModuleType

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.tenancy.migrations import MigrationFile, list_migrations, models_state
from app.tenancy.naming import SHARED_SCHEMA, quote_schema

#: An ALTER waits behind bot queries on the same table; give up rather than stall a deploy.
LOCK_TIMEOUT = "5s"


@cache
def _load(migration: MigrationFile) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"_guildhall_upgrade_{migration.path.stem}", migration.path
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load migration {migration.path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def search_path_sql(schema: str) -> str:
    """``SET LOCAL search_path`` to one schema (shared, or a validated guild schema)."""
    quoted = '"shared"' if schema == SHARED_SCHEMA else quote_schema(schema)
    return f"SET LOCAL search_path TO {quoted}"


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
        [[m.version, app, json.dumps(models_state(m.path))] for m in migrations],
    )


async def upgrade_schema(
    connection_name: str, schema: str, app: str, *, create: bool = False
) -> list[str]:
    """Apply every pending migration of ``app`` to ``schema`` in one transaction.

    Returns the versions applied. On any error the transaction rolls back and the schema
    stays exactly at its previous version. Concurrent runs on one schema serialise on an
    advisory lock, and the second finds nothing pending.
    """
    migrations = list_migrations(app)
    set_path = search_path_sql(schema)  # validates the name before anything reaches SQL
    async with in_transaction(connection_name) as conn:
        await conn.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [schema])
        if create:
            await conn.execute_script(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute_script(f"{set_path}; SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        done = await applied_versions(conn, app)
        pending = [m for m in migrations if m.version not in done]
        for migration in pending:
            await conn.execute_script(await _load(migration).upgrade(conn))
        await record_versions(conn, app, pending)
    return [m.version for m in pending]


async def migrate_shared(connection_name: str) -> list[str]:
    """Create the shared schema if needed and apply the shared app's pending migrations."""
    return await upgrade_schema(connection_name, SHARED_SCHEMA, "shared", create=True)
