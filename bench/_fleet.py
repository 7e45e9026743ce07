"""Many guild schemas, fast: what provisioning makes, built in a few large transactions.

For benchmarks and tests that need thousands of guilds (``Tenancy.provision_many`` builds one
schema per transaction: ~150 guilds/s here). Each guild gets what provisioning gives it: a
registry row at the head, its own role, ``guild_<id>`` built from the tenant DDL by that role,
and its aerich rows. The guild roles go with the scratch database
(``app.tenancy.scratch.scratch_database``).
Nothing here is used by the product.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

from app.tenancy.connections.config import SHARED_APP, TENANT_APP, ServerAddress
from app.tenancy.migrations.applier import apply_migrations
from app.tenancy.migrations.files import head_version, list_migrations
from app.tenancy.naming import SHARED_SCHEMA, database_tag, role_for, schema_for
from app.tenancy.schemas.builder import build_schema
from app.tenancy.schemas.roles import create_role


async def create_shared(address: ServerAddress) -> None:
    """Create the shared schema (registry) in an empty database, from its migrations."""
    conn = await asyncpg.connect(address.dsn)
    try:
        async with conn.transaction():
            await conn.execute(f'CREATE SCHEMA "{SHARED_SCHEMA}"')
            await apply_migrations(conn, SHARED_SCHEMA, SHARED_APP, list_migrations(SHARED_APP))
    finally:
        await conn.close()


async def _build_guild(conn: asyncpg.Connection, guild_id: int, tag: str, ddl: str) -> None:
    """What provisioning runs for one guild: its role, then app.tenancy.schemas.builder."""
    role = role_for(tag, guild_id)
    await create_role(conn, role)
    await build_schema(conn, schema_for(guild_id), role, ddl)


async def build_guilds(
    address: ServerAddress, guild_ids: Sequence[int], ddl: str, *, jobs: int = 2, batch: int = 25
) -> None:
    """Provision ``guild_ids`` (none may exist yet): ``batch`` guilds per transaction,
    ``jobs`` connections at once."""
    head = head_version(TENANT_APP)
    tag = database_tag(address.database)
    batches = [guild_ids[i : i + batch] for i in range(0, len(guild_ids), batch)]
    queue: asyncio.Queue[Sequence[int]] = asyncio.Queue()
    for chunk in batches:
        queue.put_nowait(chunk)

    async def worker() -> None:
        conn = await asyncpg.connect(address.dsn)
        try:
            while not queue.empty():
                chunk = queue.get_nowait()
                rows = ", ".join(f"({g}, 'guild_{g}', '{head}', now(), now())" for g in chunk)
                async with conn.transaction():
                    for guild_id in chunk:
                        await _build_guild(conn, guild_id, tag, ddl)
                    await conn.execute(
                        'INSERT INTO "shared"."tenant" ("guild_id", "schema_name", '
                        f'"schema_version", "created_at", "updated_at") VALUES {rows}'
                    )
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(max(1, min(jobs, len(batches))))))
