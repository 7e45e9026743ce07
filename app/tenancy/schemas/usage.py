"""How much room a guild's schema takes on the server (for operators' status views)."""

from __future__ import annotations

from tortoise import connections

from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.naming import schema_for

# Tables, partitioned tables and materialized views; pg_total_relation_size of each already
# includes its indexes and TOAST, so summing over these counts everything exactly once.
_SCHEMA_SIZE_SQL = """
SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm')
"""


async def schema_size(guild_id: int) -> int:
    """Bytes on disk of the guild schema's tables with their indexes (0 if it has none)."""
    rows = await connections.get(SHARED_ALIAS).execute_query_dict(
        _SCHEMA_SIZE_SQL, [schema_for(guild_id)]
    )
    return int(rows[0]["bytes"])
