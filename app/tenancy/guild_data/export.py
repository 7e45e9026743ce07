"""Export every row of a guild as one JSON document, streamed.

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
snapshot, so memory stays flat whatever the guild's size; the importer
(:mod:`app.tenancy.guild_data.importer`) reads it back one row at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from app.tenancy.guild_data.tables import (
    BATCH_ROWS,
    FORMAT,
    VERSION,
    guild_connection,
    read_catalog,
)
from app.tenancy.naming import parse_guild_id


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
        guild_connection(guild_id) as conn,
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
