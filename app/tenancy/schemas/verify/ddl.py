"""The tenant app's head DDL, for a process that has not started the tenancy core."""

from __future__ import annotations

from tortoise import Tortoise, connections
from tortoise.utils import get_schema_sql

from app.tenancy.connections.config import TENANT_ALIAS, ServerAddress, tortoise_config


async def tenant_head_ddl(address: ServerAddress) -> str:
    """The DDL provisioning runs for a new guild (unqualified), from the tenant models.

    Uses the running Tortoise when there is one (its tenant models are the ones provisioning
    uses); otherwise initialises Tortoise just long enough to generate it (no query is sent).
    """
    if Tortoise.is_inited():
        return get_schema_sql(connections.get(TENANT_ALIAS), safe=False)
    await Tortoise.init(config=tortoise_config(address))
    try:
        return get_schema_sql(connections.get(TENANT_ALIAS), safe=False)
    finally:
        await Tortoise.close_connections()
