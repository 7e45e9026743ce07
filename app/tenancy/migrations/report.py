"""What a migration run did: one result per schema, a report with counts, progress callbacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from app.tenancy.migrations.role_pass import RolePassReport
from app.tenancy.migrations.versions import newer_than_release

Status = Literal["migrated", "current", "failed", "skipped"]


@dataclass
class SchemaResult:
    """What the runner did to one schema."""

    schema: str
    status: Status
    before: str
    after: str
    applied: list[str] = field(default_factory=list)
    error: str | None = None
    guild_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The result as the JSON object ``guildhall db migrate --json`` prints."""
        data: dict[str, Any] = {"guild_id": self.guild_id} if self.guild_id else {}
        return data | {
            "schema": self.schema,
            "status": self.status,
            "from": self.before,
            "to": self.after,
            "applied": self.applied,
            "error": self.error,
        }


@dataclass
class MigrateReport:
    """Everything one run did: shared first, then one result per guild schema it touched."""

    tenant_head: str
    shared: SchemaResult | None = None
    #: Whether the guild schemas were looked at (not with --shared-only, or after a failure).
    tenants: bool = False
    guilds: list[SchemaResult] = field(default_factory=list)
    registered: int = 0
    #: Registered guilds found behind the head (migrated, current, failed or skipped).
    behind: int = 0
    unregistered_schemas: int = 0
    #: Guild schemas made before per-guild roles that got theirs in this run.
    roles: RolePassReport = field(default_factory=RolePassReport)
    seconds: float = 0.0
    tenant_seconds: float = 0.0
    #: Migrations a newer release applied: shared versions, and guild version → schemas.
    newer_shared: list[str] = field(default_factory=list)
    newer_guilds: dict[str, int] = field(default_factory=dict)

    @property
    def newer_line(self) -> str | None:
        """ "The database is newer than this release: …" (once for the run), or None."""
        return newer_than_release(self.newer_shared, self.newer_guilds)

    @property
    def failed(self) -> list[SchemaResult]:
        """Every failed schema (shared included)."""
        shared = [self.shared] if self.shared and self.shared.status == "failed" else []
        return shared + [r for r in self.guilds if r.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when nothing failed (a guild schema that could not get its role included),
        nothing was skipped and the database is not newer than this release."""
        return (
            not self.failed
            and not self.roles.failed
            and not self.count("skipped")
            and not self.newer_line
        )

    def count(self, status: Status) -> int:
        """How many guild schemas ended with ``status``."""
        return sum(r.status == status for r in self.guilds)

    @property
    def rate(self) -> float:
        """Guild schemas handled per second in the tenant phase."""
        return len(self.guilds) / self.tenant_seconds if self.tenant_seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        """Counts and timing, as printed at the end of a run."""
        return {
            "tenant_head": self.tenant_head,
            "registered": self.registered,
            "behind": self.behind,
            "migrated": self.count("migrated"),
            "current": self.count("current"),
            "failed": len(self.failed),
            "skipped": self.count("skipped"),
            "unregistered_schemas": self.unregistered_schemas,
            "roles_given": len(self.roles.given),
            "roles_failed": {str(g): error for g, error in self.roles.failed.items()},
            "newer_than_release": self.newer_line,
            "seconds": round(self.seconds, 3),
            "tenant_seconds": round(self.tenant_seconds, 3),
            "schemas_per_second": round(self.rate, 1),
        }

    def to_json(self) -> dict[str, Any]:
        """The whole report for ``--json``."""
        return {
            "ok": self.ok,
            "shared": self.shared.to_json() if self.shared else None,
            "guilds": [r.to_json() for r in self.guilds] if self.tenants else None,
            "summary": self.summary(),
        }


class Observer(Protocol):
    """Progress callbacks (the CLI's progress bar); the runner imports no UI."""

    def planned(self, total: int) -> None:
        """``total`` guild schemas are behind and will be handled."""

    def done(self, result: SchemaResult) -> None:
        """One guild schema's outcome is final (its batch committed)."""


class QuietObserver:
    """An :class:`Observer` that ignores everything (no progress display)."""

    def planned(self, total: int) -> None:
        pass

    def done(self, result: SchemaResult) -> None:
        pass
