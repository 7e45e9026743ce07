"""``guildhall doctor``'s checks of the settings, the server, the schemas and the budget.

Each check returns :class:`Finding` objects; ``doctor`` runs them and renders the table.
The checks of shards, rights and schema drift have modules of their own (``doctor_*``).
"""

from __future__ import annotations

import math
from typing import Any

from app.cli._findings import Finding
from app.postgres import DatabaseServer
from app.settings import Settings
from app.tenancy import (
    FIXED_CONNECTIONS,
    SHARED_APP,
    TENANT_APP,
    MigrationStatus,
    ServerAddress,
    asyncpg_fetch,
    list_migrations,
    migration_status,
)

#: Above this share of the server's connections, say there is little room left.
BUDGET_WARN = 0.8
#: ``pg_dump`` locks every table: past ~3k guild schemas at the stock 64 locks per
#: transaction it fails with "out of shared memory" (docs/library-behaviour.md, "PostgreSQL:
#: many schemas"). Lock slots wanted per guild.
LOCKS_PER_GUILD = 5

MIGRATE = "guildhall db migrate"


def where(address: ServerAddress) -> str:
    """The server as ``user@host:port/database``."""
    # No password: doctor output gets pasted into issues.
    return f"{address.user}@{address.host}:{address.port}/{address.database}"


def token_finding(settings: Settings) -> Finding:
    """Is a Discord bot token configured, and does it look like one?"""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        return Finding(
            "token",
            "error",
            "DISCORD_TOKEN is not set: `guildhall run` cannot log in",
            "put DISCORD_TOKEN=<bot token> in .env or the environment "
            "(Discord developer portal → your application → Bot → Reset Token)",
        )
    if token.count(".") != 2:
        return Finding(
            "token",
            "warning",
            "DISCORD_TOKEN does not look like a bot token (three dot-separated parts)",
            "copy the token again from the developer portal (Bot → Reset Token)",
        )
    return Finding("token", "ok", "DISCORD_TOKEN is set")


def server_finding(server: DatabaseServer) -> Finding:
    """Embedded or external PostgreSQL."""
    if server.is_embedded:
        return Finding(
            "server",
            "info",
            f"embedded PostgreSQL (DATA_DIR) at {where(server.address)}",
            "fine for one machine; set DATABASE_URL to use a managed server in production",
        )
    return Finding("server", "info", f"external PostgreSQL at {where(server.address)}")


async def schema_findings(conn: Any) -> list[Finding]:
    """Shared schema at its head; guild schemas at the tenant head (``migration_status``)."""
    try:
        list_migrations(SHARED_APP), list_migrations(TENANT_APP)
    except (OSError, ValueError) as exc:
        return [Finding("migrations", "error", f"cannot read the migration files: {exc}",
                        "reinstall guildhall")]  # fmt: skip
    status = await migration_status(asyncpg_fetch(conn))
    if not status.shared_created:
        return [
            Finding(
                "shared schema",
                "error",
                "the shared schema is not created (a fresh database)",
                f"run `{MIGRATE}` (or start the bot once)",
            )
        ]
    findings = _shared_findings(status) + _guild_findings(status)
    findings.extend(await lock_findings(conn, status.guilds))
    return findings


def _shared_findings(status: MigrationStatus) -> list[Finding]:
    """A database newer than this release, and the shared schema against its head."""
    findings: list[Finding] = []
    head = status.shared_head
    if status.newer_line:
        findings.append(Finding("migrations", "error", status.newer_line, "deploy that release"))
    if status.shared_pending:
        findings.append(
            Finding(
                "shared schema",
                "error",
                f"the shared schema is behind: {len(status.shared_pending)} migration(s) pending"
                f" (head {head})",
                f"run `{MIGRATE} --shared-only`",
            )
        )
    elif status.shared_unknown and not status.shared_newer:
        findings.append(
            Finding(
                "shared schema",
                "warning",
                f"the shared schema has migrations this release does not have "
                f"({', '.join(status.shared_unknown)}): the database is newer than this code",
                "deploy the release that made them",
            )
        )
    elif not status.shared_newer:
        findings.append(Finding("shared schema", "ok", f"the shared schema is at its head {head}"))
    return findings


def _guild_findings(status: MigrationStatus) -> list[Finding]:
    """The guild schemas against the tenant head, and registered guilds without a schema."""
    findings: list[Finding] = []
    guilds, behind, tenant_head = status.guilds, status.guilds_behind, status.tenant_head
    if behind:
        findings.append(
            Finding(
                "guild schemas",
                "error",
                f"{behind} of {guilds} guild schema(s) are not at the tenant head {tenant_head}",
                f"run `{MIGRATE} --tenants-only`",
            )
        )
    elif not status.guilds_newer:
        findings.append(
            Finding("guild schemas", "ok", f"{guilds} guild schema(s), all at {tenant_head}")
        )
    if status.missing_schemas:
        findings.append(
            Finding(
                "guild schemas",
                "warning",
                f"{status.missing_schemas} registered guild(s) have no schema",
                "run `guildhall tenants provision ID` for each (see `guildhall db status`)",
            )
        )
    return findings


async def lock_findings(conn: Any, guilds: int) -> list[Finding]:
    """Enough lock slots for ``pg_dump`` of a database with this many guild schemas?"""
    settings = await conn.fetchrow(
        "SELECT current_setting('max_locks_per_transaction')::int AS locks, "
        "current_setting('max_connections')::int AS conns, "
        "current_setting('max_prepared_transactions')::int AS prepared"
    )
    slots = settings["locks"] * (settings["conns"] + settings["prepared"])
    if guilds * LOCKS_PER_GUILD <= slots:
        return []
    wanted = 2 ** math.ceil(math.log2(guilds * LOCKS_PER_GUILD / settings["conns"]))
    return [
        Finding(
            "backups",
            "warning",
            f"max_locks_per_transaction = {settings['locks']} is low for {guilds} guild "
            'schemas: pg_dump of the database may fail with "out of shared memory"',
            f"set max_locks_per_transaction = {wanted} in postgresql.conf and restart PostgreSQL",
        )
    ]


_LIMITS = """
SELECT current_setting('max_connections')::int AS max,
       current_setting('superuser_reserved_connections')::int AS su,
       coalesce(current_setting('reserved_connections', true), '0')::int AS reserved,
       (SELECT datconnlimit FROM pg_database WHERE datname = current_database()) AS db_limit,
       (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user) AS role_limit,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser
"""


def _connection_limits(row: Any) -> tuple[int, list[str]]:
    """The connections one process may really open, and what limits them."""
    available = row["max"] - row["su"] - row["reserved"]
    limits = [f"max_connections {row['max']} - {row['max'] - available} reserved"]
    # Superusers are exempt from both per-database and per-role limits.
    if not row["superuser"]:
        for name, limit in (("database", row["db_limit"]), ("role", row["role_limit"])):
            if limit is not None and limit >= 0:
                limits.append(f"{name} CONNECTION LIMIT {limit}")
                available = min(available, limit)
    return available, limits


async def budget_finding(conn: Any, settings: Settings) -> Finding:
    """Do the budgets of ``PROCESS_COUNT`` bot processes fit what this login may open?"""
    available, limits = _connection_limits(await conn.fetchrow(_LIMITS))
    budget = settings.connection_budget()
    # PROCESS_COUNT bot processes (one per shard range) each hold a full budget.
    processes = settings.process_count
    need = budget.used * processes
    detail = (
        f"{budget.used} connections per bot process (DB_CONNECTION_BUDGET: "
        f"{budget.pinned_slots} pinned guilds x {budget.pinned_pool_max} + shared tier "
        f"{budget.shared_tier} + registry {budget.registry_pool} + listener and sentinel "
        f"{FIXED_CONNECTIONS})"
        + (f" x {processes} processes (PROCESS_COUNT) = {need}" if processes > 1 else "")
        + f" of the {available} this login may open ({', '.join(limits)})"
    )
    fitting = available // processes
    if need > available:
        return Finding(
            "connections",
            "error",
            f"over budget: {detail}",
            f"lower DB_CONNECTION_BUDGET to {fitting} or less, or raise the limit",
        )
    if need > BUDGET_WARN * available:
        return Finding(
            "connections",
            "warning",
            f"little headroom: {detail}; migrations, the CLI and a second process need some too",
            f"lower DB_CONNECTION_BUDGET (e.g. {int(fitting * BUDGET_WARN)}) or raise the limit",
        )
    return Finding("connections", "ok", detail)
