"""Write a new aerich migration for the shared or the tenant app, diffed in a scratch schema.

aerich's diff (:class:`aerich.migrate.Migrate`) compares the models with the state recorded by
the newest applied migration. Here that state comes from a throw-away schema
``guildhall_scratch_<hex>`` into which every existing migration of the app was just replayed —
never the shared schema or a guild's, whose state may lag behind the files.

The new file is then applied to the same scratch schema (a migration that does not run is
deleted again), and the result is compared with a second scratch schema built from the
models' DDL, the way provisioning builds guild schemas: any difference ("drift") means new
guilds and migrated guilds would not get the same tables, and is reported.

aerich keeps its state in class attributes and ``Tortoise.init`` replaces the ORM's
connections (docs/library-behaviour.md, "aerich: per-schema state"), so this runs in a process
of its own (``guildhall db makemigrations``); it refuses to run where Tortoise is already
initialised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from aerich.migrate import Migrate
from aerich.utils import get_models_describe
from tortoise import Tortoise, connections
from tortoise.utils import get_schema_sql

from app.tenancy.connections.config import (
    SHARED_APP,
    SHARED_MODELS,
    TENANT_APP,
    TENANT_MODELS,
    ServerAddress,
)
from app.tenancy.migrations.applier import apply_migrations
from app.tenancy.migrations.ddl import execute_ddl
from app.tenancy.migrations.files import (
    MigrationFile,
    MigrationFileError,
    list_migrations,
    migrations_root,
    upgrade_sql,
)
from app.tenancy.naming import quote_any_schema, scratch_schema
from app.tenancy.schemas.catalog import describe_schema, diff_descriptions

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,59}$")
_SCRATCH_ALIAS = "scratch"

#: The models aerich describes per app; "aerich.models" is part of each app
#: (docs/library-behaviour.md, "aerich: per-schema state").
APP_MODELS = {
    SHARED_APP: [*SHARED_MODELS, "aerich.models"],
    TENANT_APP: list(dict.fromkeys([*TENANT_MODELS, "aerich.models"])),
}


class MakeMigrationError(Exception):
    """The migration could not be written or does not apply; the message says why."""


@dataclass
class MakeMigrationResult:
    """What ``makemigrations`` did."""

    app: str
    #: The new file, or None when the models match the newest migration.
    path: Path | None
    sql: str = ""
    #: Differences between the replayed migrations and the models' DDL (should be none).
    drift: list[str] = field(default_factory=list)


def _tortoise_config(address: ServerAddress, schema: str, models: list[str], app: str) -> Any:
    return {
        "connections": {
            _SCRATCH_ALIAS: {
                "engine": "tortoise.backends.asyncpg",
                "credentials": address.credentials(schema, maxsize=1),
            }
        },
        "apps": {app: {"models": models, "default_connection": _SCRATCH_ALIAS}},
        "use_tz": True,
        "timezone": "UTC",
    }


def _reset_aerich() -> None:
    # aerich accumulates operators in class attributes; start every diff from nothing.
    Migrate.upgrade_operators = []
    Migrate.downgrade_operators = []
    Migrate._upgrade_fk_m2m_index_operators = []
    Migrate._downgrade_fk_m2m_index_operators = []
    Migrate._upgrade_m2m = []
    Migrate._downgrade_m2m = []
    Migrate._rename_fields = {}
    Migrate._rename_models = {}
    Migrate._last_version_content = None


async def _replay(
    conn: asyncpg.Connection, schema: str, app: str, migrations: list[MigrationFile]
) -> None:
    """Apply ``migrations`` to an empty scratch schema in one transaction."""
    try:
        async with conn.transaction():
            await apply_migrations(conn, schema, app, migrations, expected=())
    except (asyncpg.PostgresError, MigrationFileError) as exc:
        raise MakeMigrationError(
            f"the existing {app} migrations do not replay into an empty schema: {exc}"
        ) from exc


def _python_escaped(sql: str) -> str:
    """``sql`` as it must appear inside aerich's (non-raw) triple-quoted template string."""
    return sql.replace("\\", "\\\\")


async def _diff(
    address: ServerAddress,
    scratch: str,
    app: str,
    name: str,
    *,
    root: Path,
    models: list[str],
    empty: bool,
) -> tuple[str, str, str]:
    """Run aerich's diff against ``scratch``.

    Returns the new version ("" when nothing changed), the SQL aerich meant to write, and the
    models' DDL.
    """
    config = _tortoise_config(address, scratch, models, app)
    _reset_aerich()
    await Tortoise.init(config=config)
    try:
        ddl = get_schema_sql(connections.get(_SCRATCH_ALIAS), safe=False)
        if not list_migrations(app, root):
            # No migration yet: the initial one is the models' DDL, as `aerich init-db` writes.
            version = f"0_{datetime.now():%Y%m%d%H%M%S}_init.py"
            text = Migrate.build_migration_file_text(
                upgrade_sql=_python_escaped(ddl), models_state=get_models_describe(app)
            )
            (root / app / version).write_text(text, encoding="utf-8")
            return version, ddl, ddl
        await Migrate.init(config, app, str(root))
        version = await Migrate.migrate(name, empty=empty, no_input=True)
        operators = list(Migrate.upgrade_operators)
        intended = ";\n        ".join(operators) + ";" if operators else ""
        if version and any("\\" in op for op in operators + Migrate.downgrade_operators):
            # aerich's template puts SQL in a plain string literal: "\n" would become a newline.
            Migrate.upgrade_operators = [_python_escaped(op) for op in operators]
            Migrate.downgrade_operators = [
                _python_escaped(op) for op in Migrate.downgrade_operators
            ]
            (root / app / version).write_text(Migrate._get_diff_file_content(), encoding="utf-8")
        return version, intended, ddl
    finally:
        await Tortoise.close_connections()
        _reset_aerich()


def _check_request(app: str, name: str) -> None:
    if app not in APP_MODELS:
        raise MakeMigrationError(f"unknown app {app!r}; use shared or tenant")
    if not NAME_PATTERN.match(name):
        raise MakeMigrationError(
            f"--name {name!r} must be lower-case letters, digits and underscores (max 60)"
        )
    if Tortoise.is_inited():
        raise MakeMigrationError(
            "makemigrations re-initialises Tortoise and aerich; run it in a process of its own "
            "(guildhall db makemigrations)"
        )


async def _check_new(
    conn: asyncpg.Connection,
    scratch: str,
    app: str,
    root: Path,
    existing: list[MigrationFile],
    new: MigrationFile,
    intended: str,
) -> str:
    """The new file's SQL, once it is known to load back as generated and to apply where the
    older ones were replayed; a file that does not is deleted."""
    try:
        list_migrations(app, root)  # the new name must be one the runner accepts
        sql = (await upgrade_sql(new)).strip()
        if sql != intended.strip():
            raise MigrationFileError(
                f"{new.version} does not load back the SQL aerich generated; check its quoting"
            )
        async with conn.transaction():
            await apply_migrations(
                conn, scratch, app, [*existing, new], expected={m.version for m in existing}
            )
    except (asyncpg.PostgresError, MigrationFileError) as exc:
        new.path.unlink(missing_ok=True)
        raise MakeMigrationError(
            f"the new migration {new.version} does not apply, so it was deleted: {exc}"
        ) from exc
    return sql


async def _drift(conn: asyncpg.Connection, replayed: str, from_models: str, ddl: str) -> list[str]:
    """Differences between the replayed schema and one built from the models' DDL."""
    async with conn.transaction():
        await conn.execute(f"SET LOCAL search_path TO {quote_any_schema(from_models)}")
        await execute_ddl(conn, ddl)
    return diff_descriptions(
        await describe_schema(conn, replayed), await describe_schema(conn, from_models)
    )


async def make_migration(
    address: ServerAddress,
    app: str,
    name: str,
    *,
    root: Path | None = None,
    models: list[str] | None = None,
    empty: bool = False,
) -> MakeMigrationResult:
    """Write ``<n>_<timestamp>_<name>.py`` for ``app`` if its models changed; verify it.

    ``models`` replaces the app's model modules (tests use a changed copy); ``root`` another
    migrations folder. With ``empty`` an empty migration is written for hand-written SQL.
    A renamed field is written as a RENAME (aerich's no-input choice): review the SQL.
    """
    _check_request(app, name)
    root = root or migrations_root()
    (root / app).mkdir(parents=True, exist_ok=True)
    app_models = list(dict.fromkeys([*(models or APP_MODELS[app]), "aerich.models"]))
    existing = list_migrations(app, root)
    scratch, from_models = scratch_schema(), scratch_schema()
    conn = await asyncpg.connect(
        address.dsn, server_settings={"application_name": "guildhall-makemigrations"}
    )
    try:
        for schema in (scratch, from_models):
            await execute_ddl(conn, f"CREATE SCHEMA {quote_any_schema(schema)}")
        await _replay(conn, scratch, app, existing)
        version, intended, ddl = await _diff(
            address, scratch, app, name, root=root, models=app_models, empty=empty
        )
        result = MakeMigrationResult(app=app, path=None)
        if version:
            new = MigrationFile(root / app / version)
            result.path = new.path
            result.sql = await _check_new(conn, scratch, app, root, existing, new, intended)
        result.drift = await _drift(conn, scratch, from_models, ddl)
        return result
    finally:
        for schema in (scratch, from_models):
            await execute_ddl(conn, f"DROP SCHEMA IF EXISTS {quote_any_schema(schema)} CASCADE")
        await conn.close()
