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
from app.tenancy.migrations.applier import plan_schema, upgrade_script
from app.tenancy.migrations.files import list_migrations
from app.tenancy.naming import (
    SHARED_SCHEMA,
    database_tag,
    quote_role,
    quote_schema,
    role_for,
    schema_for,
)
from app.tenancy.schemas.verify.reference import aerich_insert


async def create_shared(address: ServerAddress) -> None:
    """Create the shared schema (registry) in an empty database, from its migrations."""
    plan = plan_schema(SHARED_SCHEMA, SHARED_APP, set(), list_migrations(SHARED_APP))
    conn = await asyncpg.connect(address.dsn)
    try:
        async with conn.transaction():
            await conn.execute(f'CREATE SCHEMA "{SHARED_SCHEMA}"')
            await conn.execute(await upgrade_script(plan))
    finally:
        await conn.close()


def _guild_sql(guild_id: int, tag: str, ddl: str, aerich_rows: str) -> str:
    """What provisioning runs for one guild (app.tenancy.schemas.builder), as one script."""
    schema, owner = quote_schema(schema_for(guild_id)), quote_role(role_for(tag, guild_id))
    return (
        f"CREATE ROLE {owner} NOLOGIN; GRANT {owner} TO CURRENT_USER; CREATE SCHEMA {schema}; "
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {owner}; SET LOCAL ROLE {owner}; "
        f"SET LOCAL search_path TO {schema};\n{ddl}\n{aerich_rows}\nRESET ROLE;\n"
    )


async def build_guilds(
    address: ServerAddress, guild_ids: Sequence[int], ddl: str, *, jobs: int = 2, batch: int = 25
) -> None:
    """Provision ``guild_ids`` (none may exist yet): ``batch`` guilds per transaction,
    ``jobs`` connections at once."""
    migrations = list_migrations(TENANT_APP)
    head = migrations[-1].version
    aerich_rows = aerich_insert(migrations)
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
                script = "".join(_guild_sql(g, tag, ddl, aerich_rows) for g in chunk)
                async with conn.transaction():
                    await conn.execute(
                        f'{script}\nINSERT INTO "shared"."tenant" ("guild_id", "schema_name", '
                        f'"schema_version", "created_at", "updated_at") VALUES {rows}'
                    )
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(max(1, min(jobs, len(batches))))))
