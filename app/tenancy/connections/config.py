"""The Tortoise configuration: one shared app, one tenant app, and where their connections go."""

from __future__ import annotations

from typing import Any

# The server's address is the server management's (app.postgres); re-exported for the core.
from app.postgres.address import ServerAddress as ServerAddress
from app.tenancy.naming import SHARED_SCHEMA, UNBOUND_SCHEMA

SHARED_APP = "shared"
TENANT_APP = "tenant"
#: Connection aliases. Per-guild clients are named exactly like the tenant alias: with any
#: other name ``in_transaction`` runs outside the transaction (docs/library-behaviour.md,
#: "Tortoise: connection names").
SHARED_ALIAS = "shared"
TENANT_ALIAS = "tenant"

SHARED_MODELS = ["app.models.shared"]
TENANT_MODELS = ["app.models.tenant", "aerich.models"]


def tortoise_config(
    address: ServerAddress,
    *,
    shared_pool_max: int = 10,
    tenant_models: list[str] | None = None,
) -> dict[str, Any]:
    """The runtime Tortoise config.

    The static tenant connection pins ``search_path`` to a schema that never exists, so an
    unbound tenant query fails with "relation does not exist" instead of reaching any guild.
    """
    return {
        "connections": {
            SHARED_ALIAS: {
                "engine": "tortoise.backends.asyncpg",
                "credentials": address.credentials(SHARED_SCHEMA, maxsize=shared_pool_max),
            },
            TENANT_ALIAS: {
                "engine": "tortoise.backends.asyncpg",
                "credentials": address.credentials(UNBOUND_SCHEMA, maxsize=1),
            },
        },
        "apps": {
            SHARED_APP: {"models": SHARED_MODELS, "default_connection": SHARED_ALIAS},
            TENANT_APP: {
                "models": tenant_models or TENANT_MODELS,
                "default_connection": TENANT_ALIAS,
            },
        },
        "use_tz": True,
        "timezone": "UTC",
    }
