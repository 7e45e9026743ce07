"""Which guild schemas ``db migrate`` has to touch: the registry's versions against the head.

One query on the registry (``shared.tenant.schema_version``, kept in sync in the same
transaction as each schema's migration) plus one listing the guild schemas that exist
(:func:`app.tenancy.migrations.versions.read_registry`): no per-schema catalog query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from app.tenancy.migrations.applier import SchemaPlan, expected_applied
from app.tenancy.migrations.files import MigrationFile
from app.tenancy.migrations.report import MigrateReport, SchemaResult, Status
from app.tenancy.migrations.versions import asyncpg_fetch, is_newer, read_registry
from app.tenancy.naming import schema_for


@dataclass
class Job:
    """One guild schema to migrate, and what the registry says it holds."""

    guild_id: int
    before: str
    #: What the registry says the schema holds; None: read it from the schema.
    expected: frozenset[str] | None


def result_of(job: Job, plan: SchemaPlan) -> SchemaResult:
    """The report line of a schema ``plan`` carried out."""
    return SchemaResult(
        schema=plan.schema,
        guild_id=job.guild_id,
        status="migrated" if plan.pending else "current",
        before=job.before,
        after=plan.version,
        applied=[m.version for m in plan.pending],
    )


def failure(job: Job, error: str, status: Status = "failed") -> SchemaResult:
    """The report line of a schema that failed (or was skipped): it stays where it was."""
    return SchemaResult(
        schema=schema_for(job.guild_id),
        guild_id=job.guild_id,
        status=status,
        before=job.before,
        after=job.before,
        error=error,
    )


async def plan_guilds(
    conn: asyncpg.Connection,
    guild_ids: Sequence[int] | None,
    migrations: list[MigrationFile],
    report: MigrateReport,
) -> tuple[list[Job], list[SchemaResult]]:
    """The guilds that are behind, from the registry; and those that must be skipped."""
    registry = await read_registry(asyncpg_fetch(conn))
    report.registered = len(registry.rows)
    report.unregistered_schemas = registry.unregistered_schemas
    wanted = None if guild_ids is None else {int(g) for g in guild_ids}
    jobs, skipped = [], []
    for row in registry.rows:
        if row.version == report.tenant_head or (wanted is not None and row.guild_id not in wanted):
            continue
        job = Job(row.guild_id, row.version, expected_applied(row.version, migrations))
        if job.expected is None and is_newer(row.version, report.tenant_head):
            # A newer release migrated it: counted once in the report, not a line per guild.
            report.newer_guilds[row.version] = report.newer_guilds.get(row.version, 0) + 1
            continue
        if not row.present:
            problem = (
                f"schema {schema_for(job.guild_id)} does not exist; run "
                f'"guildhall tenants provision {job.guild_id}" to recreate it at the head'
            )
        elif job.expected is None and job.before:
            problem = (
                f"registry version {job.before} is not a migration of this release; "
                "deploy the release that has it"
            )
        else:
            jobs.append(job)
            continue
        skipped.append(failure(job, problem, "skipped"))
    report.behind = len(jobs) + len(skipped)
    for guild_id in sorted((wanted or set()) - {row.guild_id for row in registry.rows}):
        problem = (
            f'guild {guild_id} is not registered; run "guildhall tenants provision {guild_id}"'
        )
        skipped.append(failure(Job(guild_id, "", None), problem, "skipped"))
    return jobs, skipped
