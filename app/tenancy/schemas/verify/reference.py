"""What a guild schema at a recorded migration version should look like: a reference schema.

Each version needed gets a throw-away schema (``guildhall_scratch_<hex>``) built inside the
caller's transaction, which the caller rolls back: nothing is left behind and no other
session ever sees it. How a version is built follows how real guild schemas got there:

- the version the models' DDL stands for (the shipped head) is built from that DDL plus its
  aerich rows, as provisioning builds a new guild;
- an older version replays every migration up to it, as the schemas created back then and
  migrated since went through them (the tests prove both roads lead to the same schema);
- a version after the DDL's (a migrations folder newer than the models, in tests) is the DDL
  plus the migrations after it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.tenancy.connections.config import TENANT_APP
from app.tenancy.migrations.applier import apply_migrations
from app.tenancy.migrations.ddl import execute_ddl
from app.tenancy.migrations.files import MigrationFile, head_version, list_migrations
from app.tenancy.naming import quote_role, scratch_schema, spare_role, spare_schema
from app.tenancy.schemas.builder import build_schema, hand_over, open_schema


async def _build(
    conn: Any, version: str, files: list[MigrationFile], ddl: str | None, tag: str
) -> Reference:
    """One reference schema at ``version`` in ``conn``'s transaction."""
    names = [m.version for m in files]
    wanted = files[: names.index(version) + 1]
    schema, role = scratch_schema(), spare_role(tag, spare_schema())
    owner = quote_role(role)
    # As a guild's is built (app.tenancy.schemas.builder): the login's schema, everything in
    # it handed to a role of its own. The role goes with the rollback, like the schema.
    await execute_ddl(conn, f"CREATE ROLE {owner} NOLOGIN", f"GRANT {owner} TO CURRENT_USER")
    ddl_version = head_version(TENANT_APP) if ddl is not None else ""
    applied: set[str] = set()
    if ddl is not None and ddl_version in names[: len(wanted)]:
        await build_schema(conn, schema, role, ddl)
        applied = set(names[: names.index(ddl_version) + 1])
    else:
        await open_schema(conn, schema)
    if set(names[: len(wanted)]) - applied:
        await apply_migrations(conn, schema, TENANT_APP, wanted, expected=applied)
        await hand_over(conn, schema, role)
    return Reference(schema, role)


@dataclass(frozen=True)
class Reference:
    """A reference schema and the role that owns what is in it."""

    schema: str
    role: str


async def build_references(
    conn: Any, versions: Collection[str], *, ddl: str | None, tag: str, root: Path | None = None
) -> dict[str, Reference]:
    """Version → reference schema, for each of ``versions`` that is a migration file.

    ``ddl`` is the tenant app's head DDL (None: replay migrations for every version); ``tag``
    the database's role tag (:func:`app.tenancy.naming.database_tag`). Must run in a
    transaction the caller rolls back.
    """
    files = list_migrations(TENANT_APP, root)
    known = {m.version for m in files}
    references = {}
    for version in sorted(set(versions) & known):
        references[version] = await _build(conn, version, files, ddl, tag)
    await conn.execute("SET LOCAL search_path TO DEFAULT")
    return references
