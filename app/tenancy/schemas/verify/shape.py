"""The shape of many schemas at once, read from pg_catalog in one statement.

A schema's shape is a set of *items*: the schema (its grants), its tables (their grants),
columns (type, nullability, identity, generation, collation), column defaults, indexes,
constraints, sequences and triggers, each with an owner where PostgreSQL records one and a
definition text in which the schema's own name is stripped (``nextval('guild_1.x')``
and ``nextval('guild_2.x')`` are the same default). Two schemas built alike have equal item
sets; column order is not compared (a column a migration adds lands at the end of the table,
while the DDL follows the model's field order) and neither are comments.

The queries run with ``search_path`` set to ``pg_catalog`` alone, so every definition names
its schema and the stripping is exact whatever the caller's path was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Every item of the schemas named in ``$1``: (schema, kind, name, parent, definition, owner).
#: ``parent`` is the kind and name of the item this one belongs to, so a report can name a
#: missing table once instead of every column, index and constraint it took along. ``$2``
#: holds, for each schema, the role that should own its objects: in grants (the schema's and
#: any table's) that role is written ``<owner>`` and the login ``<login>``, so the grants of
#: two guilds compare equal when each gave its rights to its own role.
_ITEMS = r"""
WITH ns AS (
    -- Hashed against the wanted names: one pass over pg_namespace whatever their number.
    SELECT n.oid, n.nspname, quote_ident(n.nspname) || '.' AS prefix, n.nspowner,
           n.nspacl, wanted.role
    FROM pg_namespace n
    JOIN unnest($1::text[], $2::text[]) AS wanted(name, role) ON wanted.name = n.nspname
), rel AS MATERIALIZED (
    SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, ns.nspname, ns.prefix, ns.role
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
), att AS MATERIALIZED (
    -- pg_attribute is the largest catalog (~30 rows per table): read it once.
    SELECT r.nspname, r.prefix, r.relname, r.relkind, a.attrelid, a.attnum, a.attname,
           a.atttypid, a.atttypmod, a.attnotnull, a.attidentity, a.attgenerated, a.attcollation
    FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid
    WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p', 'v', 'm', 'f')
), idx AS MATERIALIZED (
    SELECT r.nspname, r.prefix, r.relname AS tablename, ir.relname, ir.relowner, ir.relam,
           i.indexrelid, i.indrelid, i.indkey, i.indclass, i.indoption, i.indcollation,
           i.indexprs, i.indpred, i.indisunique, i.indisprimary, i.indnullsnotdistinct,
           i.indnkeyatts, i.indnatts
    FROM rel r JOIN pg_index i ON i.indrelid = r.oid JOIN pg_class ir ON ir.oid = i.indexrelid
)
SELECT ns.nspname AS schema, 'schema' AS kind, '' AS name, '' AS parent,
       'grants ' || coalesce(
           replace(replace(ns.nspacl::text, ns.role, '<owner>'), current_user, '<login>'),
           'default') AS definition,
       pg_get_userbyid(ns.nspowner) AS owner
FROM ns
UNION ALL
SELECT r.nspname, CASE WHEN r.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END, r.relname,
       '', r.relkind::text || coalesce(' grants '
           || replace(replace(r.relacl::text, r.role, '<owner>'), current_user, '<login>'), ''),
       pg_get_userbyid(r.relowner)
FROM rel r WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT a.nspname, 'column', a.relname || '.' || a.attname, 'table ' || a.relname,
       replace(format_type(a.atttypid, a.atttypmod), a.prefix, '')
         || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
         || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
         || CASE WHEN a.attgenerated <> '' THEN ' generated ' || a.attgenerated::text ELSE '' END
         -- 100: the database's default collation (a built-in OID), the usual case.
         || CASE WHEN a.attcollation NOT IN (0, 100)
                 THEN ' collate ' || a.attcollation::regcollation::text ELSE '' END,
       NULL
FROM att a
UNION ALL
SELECT a.nspname, 'default', a.relname || '.' || a.attname,
       'column ' || a.relname || '.' || a.attname,
       replace(pg_get_expr(d.adbin, d.adrelid), a.prefix, ''), NULL
FROM att a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
UNION ALL
-- pg_get_indexdef costs ~15 µs an index; a plain index (no expression, no predicate) is
-- described from pg_index directly: access method, columns by name, operator classes,
-- options and collations (built-in OIDs, the same in every schema of the database).
SELECT x.nspname, 'index', x.relname, 'table ' || x.tablename,
       CASE WHEN x.indexprs IS NULL AND x.indpred IS NULL THEN
         CASE WHEN x.indisunique THEN 'unique ' ELSE '' END
         || CASE WHEN x.indisprimary THEN 'primary ' ELSE '' END
         || CASE WHEN x.indnullsnotdistinct THEN 'nulls not distinct ' ELSE '' END
         || am.amname || ' (' || cols.names || ') opclass ' || x.indclass::text
         || ' options ' || x.indoption::text || ' collation ' || x.indcollation::text
         || CASE WHEN x.indnkeyatts < x.indnatts THEN ' keys ' || x.indnkeyatts ELSE '' END
       ELSE replace(pg_get_indexdef(x.indexrelid), x.prefix, '') END,
       pg_get_userbyid(x.relowner)
FROM idx x JOIN pg_am am ON am.oid = x.relam
JOIN (
    SELECT k.indexrelid,
           string_agg(coalesce(a.attname, k.attnum::text), ', ' ORDER BY k.position) AS names
    FROM (SELECT x.indexrelid, x.indrelid, k.attnum, k.position
          FROM idx x, unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)) AS k
    LEFT JOIN att a ON a.attrelid = k.indrelid AND a.attnum = k.attnum
    GROUP BY k.indexrelid
) AS cols ON cols.indexrelid = x.indexrelid
UNION ALL
SELECT r.nspname, 'constraint', r.relname || '.' || con.conname, 'table ' || r.relname,
       replace(pg_get_constraintdef(con.oid), r.prefix, '')
         || CASE WHEN con.condeferrable THEN ' deferrable' ELSE '' END
         || CASE WHEN con.condeferred THEN ' initially deferred' ELSE '' END,
       NULL
FROM rel r JOIN pg_constraint con ON con.conrelid = r.oid
UNION ALL
SELECT r.nspname, 'sequence', r.relname, coalesce('table ' || owned.relname, ''),
       replace(format_type(s.seqtypid, NULL), r.prefix, '') || ' start ' || s.seqstart
         || ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax
         || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END
         || coalesce(' owned by ' || owned.relname || '.' || owned.attname, ''),
       pg_get_userbyid(r.relowner)
FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
LEFT JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = r.oid
     AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
     AND dep.refobjsubid > 0
LEFT JOIN att owned ON owned.attrelid = dep.refobjid AND owned.attnum = dep.refobjsubid
UNION ALL
SELECT r.nspname, 'trigger', r.relname || '.' || tg.tgname, 'table ' || r.relname,
       replace(pg_get_triggerdef(tg.oid), r.prefix, ''), NULL
FROM rel r JOIN pg_trigger tg ON tg.tgrelid = r.oid AND NOT tg.tgisinternal
"""

#: Per schema: a digest of its items (owners left out: the expected owner may differ per
#: guild) and the distinct owners of its objects. One row per schema, whatever its size.
_DIGESTS = f"""
SELECT schema, md5(string_agg(kind || ' ' || name || ' ' || coalesce(definition, ''), E'\\n'
                   ORDER BY kind COLLATE "C", name COLLATE "C")) AS digest,
       array_agg(DISTINCT owner) FILTER (WHERE owner IS NOT NULL) AS owners
FROM ({_ITEMS}) AS items
GROUP BY schema
"""  # noqa: S608 (constant text)

#: Settings for the catalog reads: qualified definitions (see the module doc), and hash
#: joins. With thousands of new schemas the catalog statistics lag behind and the planner
#: picks nested loops over pg_class that turn one query into minutes. Refusing nested loops
#: inflates the cost estimates past the JIT thresholds, and compiling this query took a
#: second of a 10,000-guild run: no JIT.
SESSION = (
    "SET LOCAL search_path TO pg_catalog; SET LOCAL enable_nestloop TO off; SET LOCAL jit TO off"
)


@dataclass(frozen=True)
class Item:
    """One object of a schema, as compared."""

    kind: str
    name: str
    parent: str
    definition: str | None
    owner: str | None

    @property
    def key(self) -> str:
        """``kind name``: how the item is named in a report and how items are matched."""
        return f"{self.kind} {self.name}".rstrip()


@dataclass(frozen=True)
class Digest:
    """A schema's shape in brief: compare digests, read items only where they differ."""

    digest: str
    owners: frozenset[str]


async def read_digests(conn: Any, schemas: Mapping[str, str]) -> dict[str, Digest]:
    """Schema → :class:`Digest`, for every schema of ``schemas`` (schema → the role that
    should own its objects) that exists; one query.

    Run inside a transaction that has executed :data:`SESSION`.
    """
    rows = await conn.fetch(_DIGESTS, list(schemas), list(schemas.values()))
    return {row["schema"]: Digest(row["digest"], frozenset(row["owners"] or ())) for row in rows}


async def read_items(conn: Any, schemas: Mapping[str, str]) -> dict[str, dict[str, Item]]:
    """Schema → item key → :class:`Item`, for ``schemas`` (as :func:`read_digests`); one
    query.

    Run inside a transaction that has executed :data:`SESSION`.
    """
    shapes: dict[str, dict[str, Item]] = {name: {} for name in schemas}
    for row in await conn.fetch(_ITEMS, list(schemas), list(schemas.values())):
        item = Item(row["kind"], row["name"], row["parent"], row["definition"], row["owner"])
        shapes.setdefault(row["schema"], {})[item.key] = item
    return shapes
