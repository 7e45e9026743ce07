"""Discord ids (snowflakes) as Guildhall stores them.

Snowflakes are unsigned 64-bit, but every id column is a PostgreSQL ``bigint`` (signed), so
Guildhall accepts 1 to 2**63-1. The top bit of a snowflake is its timestamp's, which reaches
2**63 only in 2084.
"""

from __future__ import annotations

SNOWFLAKE_MAX = 2**63
SNOWFLAKE_RANGE = "1 to 2**63-1"


def parse_snowflake(value: object) -> int | None:
    """``value`` as a snowflake (an int, or a string of ASCII digits), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        number = int(value)
    else:
        return None
    return number if 0 < number < SNOWFLAKE_MAX else None
