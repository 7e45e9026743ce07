"""The Guildhall tenant export document's constants, and the catalog of what it holds.

Which tables: the tenant app's models (and their many-to-many tables), never aerich's state.
Columns come from the guild schema's catalog. Every identifier that reaches SQL in
``export`` and ``importer`` was quoted by PostgreSQL itself (``quote_ident`` over the
catalog); names read from a file are only ever compared with those.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any

from tortoise import Tortoise

from app.tenancy.connections.binding import guild_db
from app.tenancy.connections.config import TENANT_APP
from app.tenancy.errors import TenancyError

FORMAT = "guildhall-tenant-export"
VERSION = 1
#: Rows per cursor fetch (export) and per INSERT (import).
BATCH_ROWS = 1000
#: Tenant-app models that are bookkeeping, not product data.
_EXEMPT_MODELS = frozenset({"Aerich"})


class TransferError(TenancyError):
    """An export or import refused or failed; an import has written nothing."""


@dataclass(frozen=True)
class TableInfo:
    """One product table of a guild schema, from its catalog."""

    name: str
    quoted: str
    #: Insertable columns (not generated), name → quoted identifier, in table order.
    columns: dict[str, str]
    #: Quoted primary-key columns: the export's row order.
    primary_key: tuple[str, ...]
    #: (quoted column, sequence oid) of columns whose default is an owned sequence.
    sequences: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class GuildCatalog:
    """A guild schema's product tables (parents first) and its migration version."""

    tables: dict[str, TableInfo]
    schema_version: str


def product_tables() -> set[str]:
    """Table names of the tenant app's models and their many-to-many tables."""
    apps = Tortoise.apps
    models = apps[TENANT_APP] if apps is not None and TENANT_APP in apps else {}
    names: set[str] = set()
    for name, model in models.items():
        if name in _EXEMPT_MODELS:
            continue
        names.add(model._meta.db_table)
        for field in model._meta.m2m_fields:
            through = getattr(model._meta.fields_map[field], "through", None)
            if through:
                names.add(through)
    return names


_COLUMNS = """
SELECT c.relname AS table_name, quote_ident(c.relname) AS quoted_table,
       a.attname AS column_name, quote_ident(a.attname) AS quoted_column
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
  AND c.relname = ANY($1::text[]) AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attgenerated = ''
ORDER BY c.relname, a.attnum
"""

_PRIMARY_KEYS = """
SELECT c.relname AS table_name, quote_ident(a.attname) AS quoted_column
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
WHERE i.indisprimary AND c.relnamespace = current_schema()::regnamespace
  AND c.relname = ANY($1::text[])
ORDER BY c.relname, array_position(i.indkey::int2[], a.attnum)
"""

_FOREIGN_KEYS = """
SELECT child.relname AS child, parent.relname AS parent
FROM pg_constraint k
JOIN pg_class child ON child.oid = k.conrelid
JOIN pg_class parent ON parent.oid = k.confrelid
WHERE k.contype = 'f' AND child.relnamespace = current_schema()::regnamespace
  AND child.relname = ANY($1::text[])
"""

# Sequences owned by a column (serial / identity) of a product table.
_SEQUENCES = """
SELECT c.relname AS table_name, quote_ident(a.attname) AS quoted_column, s.oid AS sequence
FROM pg_class s
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
                AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class c ON c.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
WHERE s.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace
  AND c.relname = ANY($1::text[])
ORDER BY c.relname, a.attnum
"""


def version_number(version: str) -> int | None:
    """The number a migration file name starts with (``0_2026..._init.py`` → 0), or None."""
    head = version.split("_", 1)[0]
    return int(head) if head.isdigit() else None


async def read_catalog(conn: Any, guild_id: int) -> GuildCatalog:
    """The bound guild schema's product tables, parents first, and its schema version.

    ``conn`` is an asyncpg connection whose ``search_path`` is the guild schema.
    """
    wanted = sorted(product_tables())
    columns: dict[str, dict[str, str]] = {}
    quoted: dict[str, str] = {}
    for row in await conn.fetch(_COLUMNS, wanted):
        columns.setdefault(row["table_name"], {})[row["column_name"]] = row["quoted_column"]
        quoted[row["table_name"]] = row["quoted_table"]
    missing = [name for name in wanted if name not in columns]
    if missing:
        raise TransferError(
            f"guild {guild_id}'s schema has no table {', '.join(missing)}; "
            f"run `guildhall db migrate --guild {guild_id}`"
        )
    keys: dict[str, list[str]] = {}
    for row in await conn.fetch(_PRIMARY_KEYS, wanted):
        keys.setdefault(row["table_name"], []).append(row["quoted_column"])
    sequences: dict[str, list[tuple[str, int]]] = {}
    for row in await conn.fetch(_SEQUENCES, wanted):
        sequences.setdefault(row["table_name"], []).append(
            (row["quoted_column"], int(row["sequence"]))
        )
    graph: TopologicalSorter[str] = TopologicalSorter({name: () for name in wanted})
    for row in await conn.fetch(_FOREIGN_KEYS, wanted):
        if row["parent"] != row["child"] and row["parent"] in columns:
            graph.add(row["child"], row["parent"])
    try:
        order = list(graph.static_order())
    except CycleError:
        order = wanted  # a cycle cannot be ordered; inserts then fail on the foreign key
    tables = {
        name: TableInfo(
            name=name,
            quoted=quoted[name],
            columns=columns[name],
            primary_key=tuple(keys.get(name, ())),
            sequences=tuple(sequences.get(name, ())),
        )
        for name in order
    }
    version = ""
    if await conn.fetchval("SELECT to_regclass('aerich') IS NOT NULL"):
        applied = await conn.fetch("SELECT version FROM aerich WHERE app = $1", TENANT_APP)
        numbered = [(version_number(r["version"]), r["version"]) for r in applied]
        known = [(n, v) for n, v in numbered if n is not None]
        version = max(known)[1] if known else ""
    return GuildCatalog(tables, version)


@asynccontextmanager
async def guild_connection(guild_id: int) -> AsyncIterator[Any]:
    """A raw asyncpg connection of the guild's client, for the duration of the binding."""
    # Operator tools work whatever the guild's status (binding docstring).
    async with (
        guild_db(guild_id, require_active=False) as client,
        client.acquire_connection() as conn,
    ):
        yield conn
