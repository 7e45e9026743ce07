"""Everything about guild schemas. Imports nothing from disnake.

The public surface: :func:`guild_db` (the binding cogs use), :class:`Tenancy` (the running
core), the naming functions and the typed errors.
"""

from app.tenancy.binding import guild_db
from app.tenancy.errors import (
    InvalidGuildId,
    ProvisioningError,
    TenancyError,
    TenantNotFound,
    TenantUnavailable,
)
from app.tenancy.naming import parse_guild_id, schema_for
from app.tenancy.runtime import Tenancy, current_tenancy

__all__ = [
    "InvalidGuildId",
    "ProvisioningError",
    "Tenancy",
    "TenancyError",
    "TenantNotFound",
    "TenantUnavailable",
    "current_tenancy",
    "guild_db",
    "parse_guild_id",
    "schema_for",
]
