"""Import a guild export (or a hand-written fixture) back into a guild, in one transaction.

The importer parses one row at a time (:mod:`app.tenancy.guild_data.jsonstream`) and inserts
in batches through ``json_populate_recordset``, so PostgreSQL does every type conversion in
both directions (timestamps, bigints, text) and values round-trip exactly. The document's
shape is described in :mod:`app.tenancy.guild_data.export`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TextIO

import asyncpg

from app.tenancy.guild_data.jsonstream import JsonStream
from app.tenancy.guild_data.row_check import RowCheck, read_row_checks
from app.tenancy.guild_data.tables import (
    BATCH_ROWS,
    FORMAT,
    VERSION,
    GuildCatalog,
    TableInfo,
    TransferError,
    guild_connection,
    read_catalog,
    version_number,
)
from app.tenancy.naming import parse_guild_id
from app.tenancy.registry.guild_cache import change_notice

#: An import batch is also flushed once its rows add up to this many characters.
BATCH_CHARS = 4 * 1024 * 1024
#: Header keys an import accepts (all before ``"tables"``).
HEADER_KEYS = frozenset({"format", "version", "guild_id", "schema_version", "exported_at"})
#: An import waits this long for the bot's queries on the guild's tables, then gives up.
LOCK_TIMEOUT = "10s"


def read_header(stream: JsonStream) -> dict[str, Any]:
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


async def _load_table(
    stream: JsonStream, conn: Any, table: TableInfo, batch_rows: int, check: RowCheck
) -> int:
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
        check(row, count + 1)
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
    stream: JsonStream, conn: Any, catalog: GuildCatalog, batch_rows: int
) -> dict[str, int]:
    counts: dict[str, int] = {}
    checks = await read_row_checks(conn, list(catalog.tables))
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
            counts[name] = await _load_table(stream, conn, table, batch_rows, checks[name])
        except asyncpg.PostgresError as exc:
            raise TransferError(f'importing table "{name}" failed: {_one_line(exc)}') from None
        if stream.peek() == "}":
            stream.expect("}", "'}'")
            return counts
        stream.expect(",", "',' or '}' after a table")


def _check_source_guild(header: dict[str, Any], guild_id: int, allow_other_guild: bool) -> None:
    """Refuse a file exported from another guild unless the operator says it is meant."""
    source = header.get("guild_id")
    if source is None:
        return  # a hand-written fixture names no guild
    if isinstance(source, bool) or not isinstance(source, int) or source <= 0:
        raise TransferError(
            f"guild_id {source!r:.40} in the export header is not a guild id (a positive integer)"
        )
    if source != guild_id and not allow_other_guild:
        raise TransferError(
            f"the file was exported from guild {source}, not guild {guild_id}; nothing was "
            "imported. Pass --from-other-guild to copy it into this guild anyway"
        )


def _check_schema_version(header: dict[str, Any], catalog: GuildCatalog, guild_id: int) -> None:
    """Refuse an export made by a newer schema than the target's (migrate first)."""
    theirs = header.get("schema_version")
    if not theirs or not catalog.schema_version:
        return
    mine_n, theirs_n = version_number(catalog.schema_version), version_number(theirs)
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
    """Point every serial/identity sequence past the largest imported key.

    Two statements per sequence — read the largest key, then ``setval`` on the sequence's
    name — rather than one ``SELECT setval(…) FROM table``: on Citus that query is pushed
    to the worker holding the table, where a coordinator's sequence OID means nothing.
    """
    for table in catalog.tables.values():
        for column, sequence in table.sequences:
            largest = await conn.fetchval(f"SELECT max({column}) FROM {table.quoted}")  # noqa: S608
            name = await conn.fetchval("SELECT $1::oid::regclass::text", sequence)
            await conn.execute(
                "SELECT setval($1::regclass, $2, false)", name, max(largest or 0, 0) + 1
            )


async def import_guild(
    guild_id: int,
    source: TextIO,
    *,
    replace: bool = False,
    allow_other_guild: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> dict[str, int]:
    """Load an export (or fixture) into an existing guild, in one transaction.

    The guild's product tables must be empty, unless ``replace`` is true: then every product
    table is emptied first (tables absent from the file end up empty too: it is a restore).
    Rows without a key get its default (fixtures may omit ids). Afterwards every sequence is
    set past the largest key. A file exported from another guild is refused unless
    ``allow_other_guild``; every row must pass the column types and the commands' rules
    (:mod:`app.tenancy.guild_data.row_check`). A malformed file, another format version, an
    unknown table or column, or a row refused by those checks or by PostgreSQL raises
    :class:`TransferError` and nothing is written. Returns rows imported per table.
    """
    guild_id = parse_guild_id(guild_id)
    stream = JsonStream(source)
    header = read_header(stream)  # before touching the database: a wrong file costs nothing
    _check_source_guild(header, guild_id, allow_other_guild)
    try:
        async with guild_connection(guild_id) as conn, conn.transaction():
            catalog = await read_catalog(conn, guild_id)
            _check_schema_version(header, catalog, guild_id)
            await _prepare_target(conn, catalog, guild_id, replace)
            counts = await _load_tables(stream, conn, catalog, batch_rows)
            stream.expect("}", "'}' closing the document (\"tables\" must be the last key)")
            if not stream.at_end():
                raise stream.error("text after the end of the document")
            await _reset_sequences(conn, catalog)
            # Running bots drop what they cached of this guild (its settings) at commit.
            await conn.execute("SELECT pg_notify($1, $2)", *change_notice(guild_id))
    except asyncpg.PostgresError as exc:
        raise TransferError(f"importing into guild {guild_id} failed: {_one_line(exc)}") from None
    return counts


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
