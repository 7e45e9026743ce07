"""Export every row of a guild as one JSON document, streamed; import such a document back.

The document (``version`` 1)::

    {"format": "guildhall-tenant-export", "version": 1, "guild_id": 123,
     "schema_version": "0_20261126154021_init.py", "exported_at": "2026-11-26T12:00:00+00:00",
    "tables": {
    "member": [
    {"id":1,"user_id":7,...},
    ...
    ],
    "tag": []
    }}

It is ordinary JSON (hand-written fixtures are welcome), but written so both sides stream:
the header keys come before ``"tables"``, which is the last key; tables appear parents first
(foreign keys); rows are the objects PostgreSQL's ``row_to_json`` makes, one per line. The
exporter reads each table through a server-side cursor in batches inside one read-only
snapshot, so memory stays flat whatever the guild's size; the importer parses one row at a time
and inserts in batches through ``json_populate_recordset``, so PostgreSQL does every type
conversion in both directions (timestamps, bigints, text) and values round-trip exactly.

Which tables: the tenant app's models (and their many-to-many tables), never aerich's state.
Columns come from the guild schema's catalog. Every identifier that reaches SQL here was
quoted by PostgreSQL itself (``quote_ident`` over the catalog); names read from a file are
only ever compared with those.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from typing import Any, TextIO

import asyncpg
from tortoise import Tortoise

from app.tenancy.binding import guild_db
from app.tenancy.config import TENANT_APP
from app.tenancy.errors import TenancyError
from app.tenancy.naming import parse_guild_id

FORMAT = "guildhall-tenant-export"
VERSION = 1
#: Rows per cursor fetch (export) and per INSERT (import).
BATCH_ROWS = 1000
#: An import batch is also flushed once its rows add up to this many characters.
BATCH_CHARS = 4 * 1024 * 1024
#: The largest single JSON value (one row) the importer will buffer.
MAX_VALUE_CHARS = 16 * 1024 * 1024
#: Header keys an import accepts (all before ``"tables"``).
HEADER_KEYS = frozenset({"format", "version", "guild_id", "schema_version", "exported_at"})
#: Tenant-app models that are bookkeeping, not product data.
_EXEMPT_MODELS = frozenset({"Aerich"})
#: An import waits this long for the bot's queries on the guild's tables, then gives up.
LOCK_TIMEOUT = "10s"


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


def _version_number(version: str) -> int | None:
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
        numbered = [(_version_number(r["version"]), r["version"]) for r in applied]
        known = [(n, v) for n, v in numbered if n is not None]
        version = max(known)[1] if known else ""
    return GuildCatalog(tables, version)


@asynccontextmanager
async def _guild_connection(guild_id: int) -> AsyncIterator[Any]:
    """A raw asyncpg connection of the guild's client, for the duration of the binding."""
    # Operator tools work whatever the guild's status (binding docstring).
    async with (
        guild_db(guild_id, require_active=False) as client,
        client.acquire_connection() as conn,
    ):
        yield conn


# --- export ---------------------------------------------------------------------------------


def _header(guild_id: int, schema_version: str) -> str:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "guild_id": guild_id,
        "schema_version": schema_version,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    fields = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in header.items())
    return "{" + fields + ",\n"


async def export_guild(
    guild_id: int, write: Callable[[str], object], *, batch_rows: int = BATCH_ROWS
) -> dict[str, int]:
    """Write every product row of the guild to ``write`` as one JSON document.

    Reads one consistent snapshot, ``batch_rows`` rows per round trip; never holds more than
    a batch in memory. Returns the number of rows written per table. Works for disabled and
    left guilds too.
    """
    guild_id = parse_guild_id(guild_id)
    counts: dict[str, int] = {}
    async with (
        _guild_connection(guild_id) as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        catalog = await read_catalog(conn, guild_id)
        write(_header(guild_id, catalog.schema_version) + '"tables": {')
        for index, table in enumerate(catalog.tables.values()):
            write(("," if index else "") + f"\n{json.dumps(table.name)}: [")
            cols = ", ".join(table.columns.values())
            exported = set(table.columns.values())
            order = ", ".join(f"r.{c}" for c in table.primary_key if c in exported)
            # Every identifier here was quoted by PostgreSQL (quote_ident over the catalog).
            query = f"SELECT row_to_json(r)::text FROM (SELECT {cols} FROM {table.quoted}) r"  # noqa: S608
            if order:
                query += f" ORDER BY {order}"
            count = 0
            async for record in conn.cursor(query, prefetch=batch_rows):
                write(("," if count else "") + "\n" + record[0])
                count += 1
            write("\n]" if count else "]")
            counts[table.name] = count
        write("\n}}\n")
    return counts


# --- a streaming reader for the document ----------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _JsonStream:
    """Reads JSON values one at a time from a text stream, keeping only the current one."""

    def __init__(self, source: TextIO, chunk: int = 1 << 16) -> None:
        self._source = source
        self._chunk = chunk
        self._buf = ""
        self._pos = 0
        self._consumed = 0  # characters dropped from the front of the buffer
        self._eof = False
        self._decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self._eof:
            return False
        # Read at least as much as is buffered: a large value is re-parsed O(log n) times.
        try:
            data = self._source.read(max(self._chunk, len(self._buf) - self._pos))
        except UnicodeDecodeError as exc:
            raise TransferError(f"the file is not UTF-8 text ({exc.reason})") from None
        if not data:
            self._eof = True
            return False
        self._consumed += self._pos
        self._buf = self._buf[self._pos :] + data
        self._pos = 0
        return True

    def error(self, message: str, at: int | None = None) -> TransferError:
        """A refusal naming the character position in the file."""
        where = self._consumed + (self._pos if at is None else at)
        return TransferError(f"malformed export at character {where}: {message}")

    def peek(self) -> str:
        """The next non-whitespace character ("" at the end of the file), not consumed."""
        while True:
            self._pos = _WHITESPACE.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str, what: str) -> None:
        """Consume ``char`` or refuse, saying what was expected."""
        if self.peek() != char:
            raise self.error(f"expected {what}")
        self._pos += 1

    def value(self) -> tuple[Any, str]:
        """The next JSON value, parsed and as its original text."""
        if not self.peek():
            raise self.error("unexpected end of file")
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if len(self._buf) - self._pos > MAX_VALUE_CHARS:
                    raise self.error("a value larger than 16 MiB, or malformed JSON") from None
                if self._fill():
                    continue
                raise self.error(exc.msg, at=exc.pos) from None
            # A number at the end of the buffer may go on in the next chunk.
            if end == len(self._buf) and isinstance(value, int | float) and self._fill():
                continue
            text = self._buf[self._pos : end]
            self._pos = end
            return value, text

    def string(self, what: str) -> str:
        """The next value, which must be a JSON string."""
        if self.peek() != '"':
            raise self.error(f"expected {what}")
        value, _ = self.value()
        assert isinstance(value, str)
        return value

    def at_end(self) -> bool:
        """True when only whitespace is left."""
        return self.peek() == ""


def read_header(stream: _JsonStream) -> dict[str, Any]:
    """Read and check the keys before ``"tables"``; leaves the stream at the tables object."""
    if stream.at_end():
        raise TransferError("the file is empty; expected a Guildhall tenant export")
    stream.expect("{", "a JSON object")
    header: dict[str, Any] = {}
    while True:
        key = stream.string('a key ("tables" missing?)')
        stream.expect(":", "':'")
        if key == "tables":
            break
        if key not in HEADER_KEYS:
            raise TransferError(f"unknown key {key!r} in the export header; refusing the file")
        if key in header:
            raise TransferError(f"key {key!r} appears twice in the export header")
        header[key] = stream.value()[0]
        stream.expect(",", "',' (\"tables\" must be the last key)")
    if header.get("format") != FORMAT:
        raise TransferError(
            f"not a Guildhall tenant export (format {header.get('format')!r}, expected {FORMAT!r})"
        )
    version = header.get("version")
    if version != VERSION or isinstance(version, bool):
        raise TransferError(
            f"export format version {version!r} is not supported; this Guildhall reads "
            f"version {VERSION}"
        )
    schema_version = header.get("schema_version")
    if schema_version is not None and not isinstance(schema_version, str):
        raise TransferError("schema_version in the export header must be a string")
    return header


# --- import ---------------------------------------------------------------------------------


@dataclass
class _Batch:
    table: TableInfo
    rows: list[tuple[tuple[str, ...], str]]
    chars: int = 0


async def _flush(conn: Any, batch: _Batch) -> None:
    """Insert a batch: one statement per run of rows with the same keys (their order kept)."""
    table, start = batch.table, 0
    rows = batch.rows
    while start < len(rows):
        keys = rows[start][0]
        end = start
        while end < len(rows) and rows[end][0] == keys:
            end += 1
        if not keys:
            for _ in range(end - start):
                await conn.execute(f"INSERT INTO {table.quoted} DEFAULT VALUES")
        else:
            cols = ", ".join(table.columns[k] for k in keys)
            await conn.execute(  # identifiers from the catalog; values are a parameter
                f"INSERT INTO {table.quoted} ({cols}) OVERRIDING SYSTEM VALUE "  # noqa: S608
                f"SELECT {cols} FROM json_populate_recordset(NULL::{table.quoted}, $1::json)",
                "[" + ",".join(text for _, text in rows[start:end]) + "]",
            )
        start = end
    rows.clear()
    batch.chars = 0


async def _load_table(stream: _JsonStream, conn: Any, table: TableInfo, batch_rows: int) -> int:
    batch = _Batch(table, [])
    count = 0
    stream.expect("[", f'a list of rows for table "{table.name}"')
    if stream.peek() == "]":
        stream.expect("]", "']'")
        return 0
    while True:
        row, text = stream.value()
        if not isinstance(row, dict):
            raise stream.error(f'row {count + 1} of table "{table.name}" is not a JSON object')
        unknown = [key for key in row if key not in table.columns]
        if unknown:
            raise TransferError(
                f'table "{table.name}" has no column {", ".join(map(repr, unknown))} '
                f"(row {count + 1}); refusing the file"
            )
        batch.rows.append((tuple(sorted(row)), text))
        batch.chars += len(text)
        count += 1
        if len(batch.rows) >= batch_rows or batch.chars >= BATCH_CHARS:
            await _flush(conn, batch)
        if stream.peek() == "]":
            stream.expect("]", "']'")
            break
        stream.expect(",", f"',' or ']' after row {count} of table \"{table.name}\"")
    await _flush(conn, batch)
    return count


async def _load_tables(
    stream: _JsonStream, conn: Any, catalog: GuildCatalog, batch_rows: int
) -> dict[str, int]:
    counts: dict[str, int] = {}
    stream.expect("{", "an object of tables")
    if stream.peek() == "}":
        stream.expect("}", "'}'")
        return counts
    while True:
        name = stream.string("a table name")
        table = catalog.tables.get(name)
        if table is None:
            raise TransferError(
                f"unknown table {name!r} in the export (this guild has: "
                f"{', '.join(catalog.tables)}); refusing the file"
            )
        if name in counts:
            raise TransferError(f"table {name!r} appears twice in the export")
        stream.expect(":", "':'")
        try:
            counts[name] = await _load_table(stream, conn, table, batch_rows)
        except asyncpg.PostgresError as exc:
            raise TransferError(f'importing table "{name}" failed: {_one_line(exc)}') from None
        if stream.peek() == "}":
            stream.expect("}", "'}'")
            return counts
        stream.expect(",", "',' or '}' after a table")


def _check_schema_version(header: dict[str, Any], catalog: GuildCatalog, guild_id: int) -> None:
    """Refuse an export made by a newer schema than the target's (migrate first)."""
    theirs = header.get("schema_version")
    if not theirs or not catalog.schema_version:
        return
    mine_n, theirs_n = _version_number(catalog.schema_version), _version_number(theirs)
    if theirs_n is None:
        raise TransferError(f"schema_version {theirs!r} in the export is not a migration name")
    if mine_n is not None and theirs_n > mine_n:
        raise TransferError(
            f"the export is from schema version {theirs}, newer than guild {guild_id}'s "
            f"{catalog.schema_version}; run `guildhall db migrate --guild {guild_id}` first"
        )


async def _prepare_target(conn: Any, catalog: GuildCatalog, guild_id: int, replace: bool) -> None:
    """Lock the guild's tables; empty them (``replace``) or refuse unless they are empty."""
    names = ", ".join(t.quoted for t in catalog.tables.values())
    await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    if replace:
        await conn.execute(f"TRUNCATE {names}")
        return
    # Writers (the bot) wait until the import commits; readers go on.
    await conn.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
    probes = " UNION ALL ".join(
        f"SELECT {n} AS name WHERE EXISTS (SELECT 1 FROM {t.quoted})"  # noqa: S608
        for n, t in enumerate(catalog.tables.values())
    )
    filled = [list(catalog.tables)[row["name"]] for row in await conn.fetch(probes)]
    if filled:
        raise TransferError(
            f"guild {guild_id} already has rows in {', '.join(filled)}; nothing was imported. "
            "Pass --replace to delete them first"
        )


async def _reset_sequences(conn: Any, catalog: GuildCatalog) -> None:
    """Point every serial/identity sequence past the largest imported key."""
    for table in catalog.tables.values():
        for column, sequence in table.sequences:
            await conn.execute(
                f"SELECT setval($1::oid::regclass, GREATEST(COALESCE(MAX({column}), 0), 0) + 1,"  # noqa: S608
                f" false) FROM {table.quoted}",
                sequence,
            )


async def import_guild(
    guild_id: int, source: TextIO, *, replace: bool = False, batch_rows: int = BATCH_ROWS
) -> dict[str, int]:
    """Load an export (or fixture) into an existing guild, in one transaction.

    The guild's product tables must be empty, unless ``replace`` is true: then every product
    table is emptied first (tables absent from the file end up empty too: it is a restore).
    Rows without a key get its default (fixtures may omit ids). Afterwards every sequence is
    set past the largest key. A malformed file, another format version, an unknown table or
    column, or a row PostgreSQL refuses raises :class:`TransferError` and nothing is written.
    Returns rows imported per table.
    """
    guild_id = parse_guild_id(guild_id)
    stream = _JsonStream(source)
    header = read_header(stream)  # before touching the database: a wrong file costs nothing
    try:
        async with _guild_connection(guild_id) as conn, conn.transaction():
            catalog = await read_catalog(conn, guild_id)
            _check_schema_version(header, catalog, guild_id)
            await _prepare_target(conn, catalog, guild_id, replace)
            counts = await _load_tables(stream, conn, catalog, batch_rows)
            stream.expect("}", "'}' closing the document (\"tables\" must be the last key)")
            if not stream.at_end():
                raise stream.error("text after the end of the document")
            await _reset_sequences(conn, catalog)
    except asyncpg.PostgresError as exc:
        raise TransferError(f"importing into guild {guild_id} failed: {_one_line(exc)}") from None
    return counts


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
