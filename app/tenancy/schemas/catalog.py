"""What a schema is made of, read from pg_catalog, so two schemas can be compared.

Used to prove that a schema built from the models' DDL (provisioning) equals one built by
replaying every migration (``guildhall db makemigrations`` checks it; so do the tests).
Column order is deliberately not compared: a column added by a migration lands at the end of
the table, while the DDL follows the model's field order; nothing in Guildhall reads by
position.

Comments are left out by default: aerich writes SQL into a plain (not raw) Python string, so
the ``\\n`` of an enum field's COMMENT in ``aerich/shared/0_…_init.py`` became a newline —
cosmetic drift that is already in every deployed shared schema.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import asyncpg

from app.tenancy.naming import quote_any_schema

#: Section → (query, key columns, table column). Every query takes the schema name as $1 and
#: runs with ``search_path`` set to that schema, so definitions print unqualified.
_SECTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "tables": (
        """SELECT c.relname AS "table", c.relkind::text AS kind,
                  obj_description(c.oid, 'pg_class') AS comment
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')""",
        ("table",),
        "table",
    ),
    "columns": (
        """SELECT c.relname AS "table", a.attname AS "column",
                  format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
                  pg_get_expr(d.adbin, d.adrelid) AS "default", a.attidentity::text AS identity,
                  a.attgenerated::text AS generated, col_description(c.oid, a.attnum) AS comment,
                  co.collname AS collation
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
           WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
             AND a.attnum > 0 AND NOT a.attisdropped""",
        ("table", "column"),
        "table",
    ),
    "indexes": (
        """SELECT ic.relname AS "index", t.relname AS "table",
                  pg_get_indexdef(i.indexrelid) AS definition
           FROM pg_index i
           JOIN pg_class ic ON ic.oid = i.indexrelid
           JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = ic.relnamespace
           WHERE n.nspname = $1""",
        ("index",),
        "table",
    ),
    "constraints": (
        """SELECT con.conname AS "constraint", t.relname AS "table", con.contype::text AS kind,
                  pg_get_constraintdef(con.oid) AS definition, con.condeferrable AS deferrable
           FROM pg_constraint con
           JOIN pg_class t ON t.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = con.connamespace
           WHERE n.nspname = $1""",
        ("table", "constraint"),
        "table",
    ),
    "sequences": (
        """SELECT c.relname AS "sequence", format_type(s.seqtypid, NULL) AS type,
                  s.seqstart AS start, s.seqincrement AS increment, s.seqmin AS min,
                  s.seqmax AS max, s.seqcycle AS cycle, t.relname AS "table",
                  a.attname AS owned_by
           FROM pg_sequence s
           JOIN pg_class c ON c.oid = s.seqrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_depend dep ON dep.objid = c.oid AND dep.deptype IN ('a', 'i')
                AND dep.classid = 'pg_class'::regclass AND dep.refobjsubid > 0
           LEFT JOIN pg_class t ON t.oid = dep.refobjid
           LEFT JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
           WHERE n.nspname = $1""",
        ("sequence",),
        "table",
    ),
    "triggers": (
        """SELECT tg.tgname AS "trigger", t.relname AS "table",
                  pg_get_triggerdef(tg.oid) AS definition
           FROM pg_trigger tg
           JOIN pg_class t ON t.oid = tg.tgrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           WHERE n.nspname = $1 AND NOT tg.tgisinternal""",
        ("table", "trigger"),
        "table",
    ),
}

Description = dict[str, dict[str, dict[str, Any]]]


async def describe_schema(
    conn: asyncpg.Connection, schema: str, *, tables: Collection[str] | None = None
) -> Description:
    """Section → object key → attributes, for ``schema`` (only ``tables`` when given)."""
    description: Description = {}
    # pg_get_indexdef qualifies the table whatever the search_path; drop our schema's name.
    qualified = re.compile(rf' ON (?:{re.escape(schema)}|"{re.escape(schema)}")\.')
    async with conn.transaction():
        await conn.execute(f"SET LOCAL search_path TO {quote_any_schema(schema)}")
        for section, (query, keys, table_column) in _SECTIONS.items():
            entries: dict[str, dict[str, Any]] = {}
            for row in await conn.fetch(query, schema):
                data = dict(row)
                if section == "indexes":
                    data["definition"] = qualified.sub(" ON ", data["definition"])
                if tables is not None and data.get(table_column) not in tables:
                    continue
                entries[".".join(str(data[k]) for k in keys)] = data
            description[section] = entries
    return description


def diff_descriptions(
    left: Description, right: Description, *, ignore: Collection[str] = ("comment",)
) -> list[str]:
    """Human-readable differences between two descriptions (empty when they are equal).

    ``ignore`` names attributes not compared (comments, by default: see the module doc).
    """
    lines = []
    for section in _SECTIONS:
        a, b = left.get(section, {}), right.get(section, {})
        for key in sorted(a.keys() - b.keys()):
            lines.append(f"{section}: {key} only on the left")
        for key in sorted(b.keys() - a.keys()):
            lines.append(f"{section}: {key} only on the right")
        for key in sorted(a.keys() & b.keys()):
            for attribute in sorted(a[key]):
                if attribute in ignore:
                    continue
                if a[key][attribute] != b[key].get(attribute):
                    lines.append(
                        f"{section}: {key} {attribute}: {a[key][attribute]!r} != "
                        f"{b[key].get(attribute)!r}"
                    )
    return lines
