"""How much room a guild's schema takes on the server (for operators' status views)."""

from __future__ import annotations

from tortoise import connections

from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.naming import schema_for
from app.tenancy.schemas.citus import relation_bytes


async def schema_size(guild_id: int) -> int:
    """Bytes on disk of the guild schema's tables with their indexes (0 if it has none).

    Tables, partitioned tables and materialized views; each one's total size already includes
    its indexes and TOAST, so the sum counts everything exactly once. On Citus the shards on
    the workers are measured, not the coordinator's empty shell tables.
    """
    return await relation_bytes(connections.get(SHARED_ALIAS), schema_for(guild_id))
