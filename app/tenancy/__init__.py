"""Everything about guild schemas. Imports nothing from disnake.

This package is the one import surface for the cogs, the bot, the health endpoint and the CLI
(an import-linter contract in pyproject.toml forbids them the sub-modules). Inside it:

- ``connections``: how a cog reaches its guild's data (``async with guild_db(guild_id)``):
  two tiers of connections within one budget;
- ``registry``: the running core (``Tenancy``), starting it, and the registry state cached
  per process (statuses, opt-outs) that NOTIFY keeps fresh; ``registry.operator_input``: the
  disable reason and the "until" date, read the same way by the CLI and /tenant;
- ``naming``, ``errors``: schema names and typed errors;
- ``schemas``: provisioning guild schemas, the spare-schema pool, and verifying that every
  guild schema is what its recorded migration version should be (``guildhall db verify``);
- ``migrations``: how a migration reaches every guild;
- ``guild_data``: export / import, data-deletion requests, retention of guilds that left.

The PostgreSQL server itself (external or embedded) is :mod:`app.postgres`.
"""

from app.tenancy.connections.binding import guild_db
from app.tenancy.connections.budget import FIXED_CONNECTIONS, ConnectionBudget
from app.tenancy.connections.config import (
    SHARED_ALIAS,
    SHARED_APP,
    TENANT_ALIAS,
    TENANT_APP,
    ServerAddress,
)
from app.tenancy.connections.fairness import FairShareLimits, GuildBusy
from app.tenancy.connections.outage import is_database_unavailable
from app.tenancy.errors import (
    InvalidGuildId,
    ProvisioningError,
    TenancyError,
    TenantNotFound,
    TenantUnavailable,
)
from app.tenancy.guild_data.access import user_rows_in_bound_guild
from app.tenancy.guild_data.export import export_guild
from app.tenancy.guild_data.forget import DEFAULT_JOBS as FORGET_DEFAULT_JOBS
from app.tenancy.guild_data.forget import ForgetReport, forget_user_everywhere, parse_user_id
from app.tenancy.guild_data.importer import import_guild
from app.tenancy.guild_data.privacy import forget_user_in_bound_guild
from app.tenancy.guild_data.retention import (
    RetentionReport,
    purge_left_before,
    purge_tenant,
    retention_loop,
)
from app.tenancy.migrations.files import MigrationFileError, head_version, list_migrations
from app.tenancy.migrations.fleet import MigrateOptions, migrate_all
from app.tenancy.migrations.make import MakeMigrationError, MakeMigrationResult, make_migration
from app.tenancy.migrations.report import MigrateReport, SchemaResult
from app.tenancy.migrations.versions import (
    MigrationStatus,
    asyncpg_fetch,
    migration_status,
    report_pending_migrations,
)
from app.tenancy.naming import parse_guild_id, schema_for
from app.tenancy.registry.bootstrap import open_tenancy
from app.tenancy.registry.guild_cache import GuildCache, GuildCaches
from app.tenancy.registry.operator_input import (
    REASON_MAX,
    InvalidOperatorInput,
    InvalidUntil,
    ReasonTooLong,
    UntilInPast,
    parse_guild_name,
    parse_reason,
    parse_until,
)
from app.tenancy.registry.restored import register_restored
from app.tenancy.registry.runtime import Tenancy, current_tenancy
from app.tenancy.registry.status import TenantState
from app.tenancy.schemas.citus import CitusLayout, citus_layout
from app.tenancy.schemas.usage import schema_size
from app.tenancy.schemas.verify import (
    NoRegistry,
    VerifyInputError,
    VerifyReport,
    tenant_head_ddl,
    verify_schemas,
)

__all__ = [
    "FIXED_CONNECTIONS",
    "FORGET_DEFAULT_JOBS",
    "REASON_MAX",
    "SHARED_ALIAS",
    "SHARED_APP",
    "TENANT_ALIAS",
    "TENANT_APP",
    "CitusLayout",
    "ConnectionBudget",
    "FairShareLimits",
    "ForgetReport",
    "GuildBusy",
    "GuildCache",
    "GuildCaches",
    "InvalidGuildId",
    "InvalidOperatorInput",
    "InvalidUntil",
    "MakeMigrationError",
    "MakeMigrationResult",
    "MigrateOptions",
    "MigrateReport",
    "MigrationFileError",
    "MigrationStatus",
    "NoRegistry",
    "ProvisioningError",
    "ReasonTooLong",
    "RetentionReport",
    "SchemaResult",
    "ServerAddress",
    "Tenancy",
    "TenancyError",
    "TenantNotFound",
    "TenantState",
    "TenantUnavailable",
    "UntilInPast",
    "VerifyInputError",
    "VerifyReport",
    "asyncpg_fetch",
    "citus_layout",
    "current_tenancy",
    "export_guild",
    "forget_user_everywhere",
    "forget_user_in_bound_guild",
    "guild_db",
    "head_version",
    "import_guild",
    "is_database_unavailable",
    "list_migrations",
    "make_migration",
    "migrate_all",
    "migration_status",
    "open_tenancy",
    "parse_guild_id",
    "parse_guild_name",
    "parse_reason",
    "parse_until",
    "parse_user_id",
    "purge_left_before",
    "purge_tenant",
    "register_restored",
    "report_pending_migrations",
    "retention_loop",
    "schema_for",
    "schema_size",
    "tenant_head_ddl",
    "user_rows_in_bound_guild",
    "verify_schemas",
]
