"""Which migration versions the database is at: the shared schema, and guild schemas per version.

Guild versions come from the registry (``shared.tenant.schema_version``, which every
migration and provisioning keeps in sync in its own transaction) in one query, plus one
listing the guild schemas that exist — never a query per schema, which costs tens of
milliseconds each at 20k schemas (docs/library-behaviour.md, "PostgreSQL: many schemas").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from app.tenancy.connections.config import SHARED_ALIAS, SHARED_APP, TENANT_APP
from app.tenancy.migrations.applier import read_applied
from app.tenancy.migrations.files import head_of, list_migrations
from app.tenancy.naming import SCHEMA_PATTERN, SHARED_SCHEMA

#: Runs one query with positional arguments and returns its rows as dicts.
Fetch = Callable[[str, Sequence[Any]], Awaitable[list[dict[str, Any]]]]

MIGRATE_HINT = "run `guildhall db migrate`"
#: What to do about a database a newer release migrated: this code must not touch it.
NEWER_HINT = "deploy the release that has these migrations (or a newer one)"


def is_newer(version: str, head: str) -> bool:
    """True if ``version`` is not one of this release's and numbers after its ``head``."""
    number, head_number = _number(version), _number(head)
    return number is not None and (head_number is None or number > head_number)


def _number(version: str) -> int | None:
    first = version.split("_", 1)[0]
    return int(first) if first.isdigit() else None


def newer_than_release(shared: Sequence[str], guilds: dict[str, int]) -> str | None:
    """One line saying the database is newer than this release, or None when it is not."""
    parts = [f"the shared schema has {', '.join(shared)}"] if shared else []
    if guilds:
        count = sum(guilds.values())
        parts.append(f"{count} guild schema(s) are at {', '.join(sorted(guilds))}")
    if not parts:
        return None
    return f"the database is newer than this release: {'; '.join(parts)}; {NEWER_HINT}"


# Joining the registry with pg_namespace in SQL is quadratic once the catalog statistics lag
# behind thousands of new schemas (nested loop over pg_namespace: 17 s at 10k guilds), so the
# two lists are read separately and matched here.
_REGISTRY = 'SELECT guild_id, schema_name, schema_version FROM "shared"."tenant"'
_GUILD_SCHEMAS = "SELECT nspname FROM pg_namespace WHERE nspname ~ $1"


@dataclass(frozen=True)
class RegistryRow:
    """One guild in the registry, and whether its schema exists."""

    guild_id: int
    version: str
    present: bool


@dataclass
class Registry:
    """The registry and the guild schemas that exist, read in two queries."""

    rows: list[RegistryRow]
    unregistered_schemas: int


async def read_registry(fetch: Fetch) -> Registry:
    """Every registered guild with its recorded version and whether its schema exists."""
    existing = {row["nspname"] for row in await fetch(_GUILD_SCHEMAS, [SCHEMA_PATTERN.pattern])}
    rows, names = [], set()
    for row in await fetch(_REGISTRY, []):
        names.add(row["schema_name"])
        rows.append(
            RegistryRow(
                row["guild_id"], row["schema_version"] or "", row["schema_name"] in existing
            )
        )
    return Registry(sorted(rows, key=lambda r: r.guild_id), len(existing - names))


@dataclass
class MigrationStatus:
    """Versions of the shared schema and of the guild schemas, against the files' heads."""

    shared_head: str
    shared_applied: list[str]
    shared_pending: list[str]
    tenant_head: str
    #: Shared versions applied that no migration file of this release has (a newer database).
    shared_unknown: list[str] = field(default_factory=list)
    #: False for a fresh database: the shared schema's tables do not exist yet.
    shared_created: bool = True
    #: Registry version → guilds whose schema exists at it (``""``: not recorded).
    tenant_versions: dict[str, int] = field(default_factory=dict)
    #: Versions in the registry that no migration file of this release has.
    unknown_versions: list[str] = field(default_factory=list)
    #: Registered guilds whose schema is missing; guild schemas without a registry row.
    missing_schemas: int = 0
    unregistered_schemas: int = 0
    #: Versions in file order, so "behind by N" can be told.
    tenant_order: list[str] = field(default_factory=list)

    @property
    def shared_version(self) -> str:
        """The newest shared migration applied ("" for a fresh database)."""
        return self.shared_applied[-1] if self.shared_applied else ""

    @property
    def guilds(self) -> int:
        """Guild schemas counted (registered, with their schema)."""
        return sum(self.tenant_versions.values())

    @property
    def guilds_behind(self) -> int:
        """Guild schemas not at the tenant head (those a newer release migrated excepted)."""
        at_head = self.tenant_versions.get(self.tenant_head, 0)
        return self.guilds - at_head - sum(self.guilds_newer.values())

    @property
    def shared_newer(self) -> list[str]:
        """Shared versions applied by a release newer than this one."""
        return [v for v in self.shared_unknown if is_newer(v, self.shared_head)]

    @property
    def guilds_newer(self) -> dict[str, int]:
        """Version → guild schemas at a version newer than this release's tenant head."""
        return {
            v: n for v, n in self.tenant_versions.items() if v in self.unknown_versions
            and is_newer(v, self.tenant_head)
        }  # fmt: skip

    @property
    def newer_line(self) -> str | None:
        """ "The database is newer than this release: …", or None."""
        return newer_than_release(self.shared_newer, self.guilds_newer)

    def behind_by(self, version: str) -> int | None:
        """How many migrations a schema at ``version`` lacks (None if unknown)."""
        if version in self.tenant_order:
            return len(self.tenant_order) - 1 - self.tenant_order.index(version)
        return None

    @property
    def up_to_date(self) -> bool:
        """True when shared and every guild schema are at their heads."""
        return not self.shared_pending and self.guilds_behind == 0 and not self.newer_line

    def to_json(self) -> dict[str, Any]:
        """The status as ``guildhall db status --json`` prints it."""
        return {
            "up_to_date": self.up_to_date,
            "newer_than_release": self.newer_line,
            "shared": {
                "version": self.shared_version,
                "head": self.shared_head,
                "pending": self.shared_pending,
                "newer": self.shared_newer,
            },
            "tenants": {
                "head": self.tenant_head,
                "guilds": self.guilds,
                "behind": self.guilds_behind,
                "newer": sum(self.guilds_newer.values()),
                "versions": [
                    {"version": v, "guilds": n, "behind_by": self.behind_by(v)}
                    for v, n in sorted(self.tenant_versions.items(), key=self._order)
                ],
                "unknown_versions": self.unknown_versions,
                "missing_schemas": self.missing_schemas,
                "unregistered_schemas": self.unregistered_schemas,
            },
        }

    def _order(self, item: tuple[str, int]) -> tuple[int, str]:
        by = self.behind_by(item[0])
        return (-1 if by is None else -by, item[0])


def asyncpg_fetch(conn: Any) -> Fetch:
    """A :data:`Fetch` over an asyncpg connection."""

    async def fetch(sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        return [dict(row) for row in await conn.fetch(sql, *args)]

    return fetch


def tortoise_fetch(client: BaseDBAsyncClient) -> Fetch:
    """A :data:`Fetch` over a Tortoise client (the bot's shared connection)."""

    async def fetch(sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        return await client.execute_query_dict(sql, list(args))

    return fetch


async def migration_status(fetch: Fetch, *, root: Path | None = None) -> MigrationStatus:
    """Read the versions: four cheap queries whatever the number of guilds."""
    shared, tenant = list_migrations(SHARED_APP, root), list_migrations(TENANT_APP, root)
    shared_files, tenant_files = [m.version for m in shared], [m.version for m in tenant]
    present = await fetch(
        'SELECT to_regclass(\'"shared"."aerich"\') IS NOT NULL AS aerich, '
        'to_regclass(\'"shared"."tenant"\') IS NOT NULL AS tenant',
        [],
    )
    applied = await read_applied(fetch, SHARED_SCHEMA, SHARED_APP)
    status = MigrationStatus(
        shared_head=head_of(shared),
        shared_applied=[v for v in shared_files if v in applied],
        shared_pending=[v for v in shared_files if v not in applied],
        tenant_head=head_of(tenant),
        shared_unknown=sorted(applied - set(shared_files)),
        shared_created=bool(present[0]["aerich"] and present[0]["tenant"]),
        tenant_order=tenant_files,
    )
    if not present[0]["tenant"]:
        return status
    registry = await read_registry(fetch)
    for row in registry.rows:
        if not row.present:
            status.missing_schemas += 1
            continue
        status.tenant_versions[row.version] = status.tenant_versions.get(row.version, 0) + 1
    status.unknown_versions = sorted(
        v for v in status.tenant_versions if v and v not in tenant_files
    )
    status.unregistered_schemas = registry.unregistered_schemas
    return status


async def report_pending_migrations(
    log: logging.Logger,
    client: BaseDBAsyncClient | None = None,
    *,
    root: Path | None = None,
    fetch: Fetch | None = None,
) -> MigrationStatus | None:
    """Log a warning when the shared schema or any guild schema is behind (bot start-up), an
    error when a newer release migrated the database.

    Reads through ``fetch``, else ``client``, else the shared Tortoise connection. Returns the
    status, or None when it could not be read (that is logged too; it never stops the caller).
    """
    try:
        fetch = fetch or tortoise_fetch(client or connections.get(SHARED_ALIAS))
        status = await migration_status(fetch, root=root)
    except Exception:
        log.exception("could not read migration versions; check with `guildhall db status`")
        return None
    if status.newer_line:
        log.error("%s", status.newer_line)
    if status.shared_pending:
        log.warning(
            "the shared schema is behind: %d migration(s) pending (%s); %s",
            len(status.shared_pending),
            ", ".join(status.shared_pending),
            MIGRATE_HINT,
        )
    if status.guilds_behind:
        log.warning(
            "%d of %d guild schemas are behind the tenant head %s; %s",
            status.guilds_behind,
            status.guilds,
            status.tenant_head,
            MIGRATE_HINT,
        )
    if status.missing_schemas:
        log.warning(
            "%d registered guild(s) have no schema; `guildhall tenants provision ID` recreates "
            "one at the head",
            status.missing_schemas,
        )
    if status.up_to_date:
        log.info(
            "migrations up to date: shared %s, %d guild schema(s) at %s",
            status.shared_version,
            status.guilds,
            status.tenant_head,
        )
    return status
