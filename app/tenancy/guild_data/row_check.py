"""Check every imported row before it is written: JSON types, ids, and the product's rules.

PostgreSQL would cast ``"5"`` into a bigint and take a negative id or a tag name the commands
refuse; an import must not write what the commands would not. The JSON type each column takes
comes from the guild schema's catalog; what a valid tag or note is comes from
:mod:`app.models.rules`, the rules the slash commands use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.models import rules
from app.tenancy.guild_data.tables import TransferError

_INTEGER_TYPES = {"bigint": 2**63, "integer": 2**31, "smallint": 2**15}
_TEXT_TYPES = {"text", "character varying", "character"}
_MOMENT_TYPES = {"timestamp with time zone", "timestamp without time zone", "date"}

_COLUMN_TYPES = """
SELECT c.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, NULL) AS type, a.attnotnull AS not_null
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])
  AND a.attnum > 0 AND NOT a.attisdropped
"""


@dataclass(frozen=True)
class Column:
    """What a column takes, from the catalog."""

    type: str
    not_null: bool


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _type_problem(name: str, column: Column, value: Any) -> str | None:
    """Why ``value`` cannot go into ``column`` as it is (None: it can)."""
    if value is None:
        return f"{name} cannot be null" if column.not_null else None
    if column.type in _INTEGER_TYPES:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{name} must be an integer, not {type(value).__name__} {value!r:.40}"
        bound = _INTEGER_TYPES[column.type]
        if _is_id(name) and value < 0:
            return f"{name} {value} is negative; ids are never negative"
        if not -bound <= value < bound:
            return f"{name} {value} does not fit a {column.type}"
    elif column.type in _TEXT_TYPES:
        if not isinstance(value, str):
            return f"{name} must be a string, not {type(value).__name__}"
        if "\x00" in value:
            return f"{name} contains a NUL character"
    elif column.type in _MOMENT_TYPES:
        if not isinstance(value, str):
            return f"{name} must be an ISO date or datetime string, not {type(value).__name__}"
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return f"{name} {value!r:.40} is not an ISO date or datetime"
    elif column.type == "boolean" and not isinstance(value, bool):
        return f"{name} must be true or false, not {value!r:.40}"
    return None


def _check_tag(row: dict[str, Any]) -> None:
    name = row.get("name")
    if isinstance(name, str):
        if rules.tag_name(name) != name:
            problem = f"name {name!r:.70} has surrounding spaces"
            raise rules.RuleViolation("tag.name_spaces", problem)
        if row.get("name_key") != rules.tag_name_key(name):
            raise rules.RuleViolation(
                "tag.name_key",
                f"name_key {row.get('name_key')!r:.70} is not the name casefolded "
                f"({rules.tag_name_key(name)!r:.70}); case-insensitive names rely on it",
            )
    if isinstance(row.get("content"), str):
        rules.tag_content(row["content"])


def _check_note(row: dict[str, Any]) -> None:
    if isinstance(row.get("content"), str):
        rules.note_content(row["content"])


#: Per table, the product rules its rows must pass (on top of the column types).
_PRODUCT_RULES: dict[str, Callable[[dict[str, Any]], None]] = {
    "tag": _check_tag,
    "note": _check_note,
}

RowCheck = Callable[[dict[str, Any], int], None]


def row_check(table: str, columns: dict[str, Column]) -> RowCheck:
    """A function that raises :class:`TransferError` for a row of ``table`` (1-based number)
    that the commands would not have written."""
    product_rule = _PRODUCT_RULES.get(table)

    def check(row: dict[str, Any], number: int) -> None:
        for name, value in row.items():
            column = columns.get(name)
            problem = _type_problem(name, column, value) if column else None
            if problem:
                raise TransferError(f'table "{table}" row {number}: {problem}; refusing the file')
        if product_rule is not None:
            try:
                product_rule(row)
            except rules.RuleViolation as exc:
                raise TransferError(
                    f'table "{table}" row {number}: {exc}; refusing the file'
                ) from None

    return check


async def read_row_checks(conn: Any, tables: list[str]) -> dict[str, RowCheck]:
    """One :func:`row_check` per table, from the bound guild schema's catalog."""
    columns: dict[str, dict[str, Column]] = {name: {} for name in tables}
    for record in await conn.fetch(_COLUMN_TYPES, tables):
        columns[record["table_name"]][record["column_name"]] = Column(
            record["type"], record["not_null"]
        )
    return {name: row_check(name, columns[name]) for name in tables}
