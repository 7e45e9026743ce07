"""The registry after ``guildhall db restore --guild``: a restored schema gets its row back.

A one-guild dump holds the guild's schema only (the registry is shared by every guild). The
restored schema's own aerich table says which version it holds; the registry row is created
(active) or updated to that version, so ``db migrate`` then brings it to the head and gives it
its role like any other schema.
"""

from __future__ import annotations

import asyncpg

from app.tenancy.naming import quote_schema, schema_for

_UPSERT = """
INSERT INTO shared.tenant (guild_id, schema_name, name, status, created_at, updated_at,
                           schema_version)
VALUES ($1, $2, '', 'active', now(), now(), $3)
ON CONFLICT (guild_id) DO UPDATE SET schema_version = EXCLUDED.schema_version, updated_at = now()
"""


async def register_restored(conn: asyncpg.Connection, guild_id: int) -> str:
    """Create or update guild ``guild_id``'s registry row for its restored schema.

    Returns the version the schema holds ("" when it has no aerich row).
    """
    schema = schema_for(guild_id)
    version = await conn.fetchval(
        f"SELECT version FROM {quote_schema(schema)}.aerich ORDER BY id DESC LIMIT 1"  # noqa: S608 - a validated schema name
    )
    await conn.execute(_UPSERT, guild_id, schema, version or "")
    return str(version or "")
