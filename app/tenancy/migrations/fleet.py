"""Migrate the shared schema, then every guild schema that is behind: fast, atomic per schema.

Which guilds are behind is one query on the registry (``shared.tenant.schema_version``, kept
in sync in the same transaction as each schema's migration) plus one listing the guild
schemas that exist — no per-schema catalog query (tens of milliseconds each at 20k schemas:
docs/library-behaviour.md, "PostgreSQL: many schemas").

Speed (same section): ``jobs`` dedicated asyncpg connections; each takes a batch of schemas and
migrates them in one transaction, each inside a SAVEPOINT (:func:`~app.tenancy.migrations.
applier.apply_migrations`, one statement per call so that Citus takes it too). A
failing schema rolls back to its savepoint only — it stays exactly at its previous version —
and the batch goes on. Nothing is recorded until its batch commits, so a crash or ``kill -9``
leaves every schema either migrated or untouched, and a re-run picks up exactly the rest.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from app.tenancy.connections.config import SHARED_APP, TENANT_APP, ServerAddress
from app.tenancy.locks import schema_lock_sql
from app.tenancy.migrations.applier import apply_migrations, create_local_schema, read_applied
from app.tenancy.migrations.behind import Job, failure, plan_guilds, result_of
from app.tenancy.migrations.files import (
    MigrationFile,
    MigrationFileError,
    head_of,
    list_migrations,
)
from app.tenancy.migrations.report import MigrateReport, Observer, QuietObserver, SchemaResult
from app.tenancy.migrations.role_pass import give_roles
from app.tenancy.migrations.versions import is_newer
from app.tenancy.naming import (
    SHARED_SCHEMA,
    database_tag,
    role_for,
    schema_for,
)

#: Lock wait of a schema inside a batch. The schemas before it in the batch hold their locks
#: until the batch commits, so a busy guild must not stall them for the full lock timeout: it
#: gives up quickly and is retried alone, with the full timeout, after the batch.
BATCH_LOCK_TIMEOUT_MS = 300

#: Errors that come from the batch rather than the schema (a lock wait, a deadlock with
#: another runner, the lock table full): the schema is retried in a transaction of its own.
_TRANSIENT = (
    asyncpg.LockNotAvailableError,
    asyncpg.DeadlockDetectedError,
    asyncpg.OutOfMemoryError,
)

#: ``application_name`` of the runner's connections (visible in pg_stat_activity).
APPLICATION_NAME = "guildhall-migrate"
#: A backend's catalog cache grows with every schema it touches and is never given back
#: (docs/library-behaviour.md, "PostgreSQL: many schemas"); a fresh connection every so many
#: schemas keeps the runner's backends small.
RECYCLE_AFTER = 500
#: Each guild migrates as its own role, and on Citus a coordinator backend keeps a worker
#: connection per role it acted as (docs/library-behaviour.md, "Citus: workers see the current
#: role"): a runner would pile up one per guild. A role is used once per run, so nothing is
#: lost by closing them at each commit. On plain PostgreSQL an unused placeholder setting.
_SESSION = {"application_name": APPLICATION_NAME, "citus.max_cached_conns_per_worker": "0"}


@dataclass(frozen=True)
class MigrateOptions:
    """What to migrate and how hard to push."""

    shared: bool = True
    tenants: bool = True
    #: Only these guilds (still only if behind); None means every registered guild.
    guild_ids: Sequence[int] | None = None
    jobs: int = 2
    #: Schemas per transaction (each in its own savepoint).
    batch_size: int = 25
    lock_timeout_ms: int = 5000
    #: Another migrations folder (tests, benchmarks); None means the shipped one.
    root: Path | None = None


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    detail = getattr(exc, "detail", None)
    if detail:
        text += f" ({detail})"
    if isinstance(exc, asyncpg.LockNotAvailableError):
        text += "; the bot holds a lock on it, run `guildhall db migrate` again"
    return text


async def _connect(address: ServerAddress) -> asyncpg.Connection:
    return await asyncpg.connect(address.dsn, server_settings=_SESSION)


class _Runner:
    def __init__(
        self,
        address: ServerAddress,
        options: MigrateOptions,
        migrations: list[MigrationFile],
        observer: Observer,
    ) -> None:
        self.address = address
        self.options = options
        self.migrations = migrations
        self.observer = observer
        self.results: list[SchemaResult] = []
        self.batches: deque[list[Job]] = deque()

    def finish(self, result: SchemaResult) -> None:
        self.results.append(result)
        self.observer.done(result)

    async def run_batch(
        self, conn: asyncpg.Connection, batch: list[Job]
    ) -> tuple[list[SchemaResult], list[Job]]:
        """One transaction over ``batch``: the results, and the jobs to retry alone.

        Raises only if the transaction itself failed.
        """
        results: list[SchemaResult] = []
        busy: list[Job] = []
        alone = len(batch) == 1
        timeout = self.options.lock_timeout_ms
        if not alone:
            timeout = min(timeout, BATCH_LOCK_TIMEOUT_MS)
        async with conn.transaction():
            await conn.execute(f"SET LOCAL lock_timeout = '{int(timeout)}ms'")
            for job in batch:
                schema = schema_for(job.guild_id)
                try:
                    role = role_for(database_tag(self.address.database), job.guild_id)
                    plan = await apply_migrations(
                        conn, schema, TENANT_APP, self.migrations, expected=job.expected, role=role
                    )
                except _TRANSIENT as exc:
                    if alone:
                        results.append(failure(job, _error_text(exc)))
                    else:
                        busy.append(job)
                except (asyncpg.PostgresError, MigrationFileError) as exc:
                    results.append(failure(job, _error_text(exc)))
                else:
                    results.append(result_of(job, plan))
        return results, busy

    async def worker(self) -> None:
        conn: asyncpg.Connection | None = None
        touched = 0
        try:
            while self.batches:
                batch = self.batches.popleft()
                if conn is None or touched >= RECYCLE_AFTER:
                    if conn is not None:
                        await conn.close()
                        conn = None
                    try:
                        conn, touched = await _connect(self.address), 0
                    except (asyncpg.PostgresError, OSError) as exc:
                        for job in batch:
                            self.finish(failure(job, f"cannot connect: {_error_text(exc)}"))
                        continue
                touched += len(batch)
                try:
                    results, busy = await self.run_batch(conn, batch)
                    self.batches.extend([job] for job in busy)
                except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                    # The transaction (COMMIT, or the connection) failed: nothing of the batch
                    # was recorded. Retry its schemas one per transaction so one bad schema
                    # cannot fail the others; a lone schema that fails again is reported.
                    conn.terminate()
                    conn = None
                    if len(batch) == 1:
                        results = [failure(batch[0], _error_text(exc))]
                    else:
                        self.batches.extendleft([job] for job in reversed(batch))
                        continue
                for result in results:
                    self.finish(result)
        finally:
            if conn is not None:
                await conn.close()

    async def run(self, jobs: list[Job]) -> None:
        size = max(1, min(self.options.batch_size, math.ceil(len(jobs) / (4 * self.options.jobs))))
        self.batches.extend(jobs[i : i + size] for i in range(0, len(jobs), size))
        workers = min(self.options.jobs, len(self.batches))
        await asyncio.gather(*(self.worker() for _ in range(workers)))


async def migrate_shared_schema(
    conn: asyncpg.Connection, *, root: Path | None = None, lock_timeout_ms: int = 5000
) -> SchemaResult:
    """Create the shared schema if needed and apply the shared app's pending migrations."""
    migrations = list_migrations(SHARED_APP, root)
    before = await read_applied(conn, SHARED_SCHEMA, SHARED_APP)
    was = [m.version for m in migrations if m.version in before]
    result = SchemaResult(SHARED_SCHEMA, "current", was[-1] if was else "", "")
    try:
        async with conn.transaction():
            await conn.execute(schema_lock_sql(SHARED_SCHEMA))
            await create_local_schema(conn, SHARED_SCHEMA)
            await conn.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'")
            plan = await apply_migrations(conn, SHARED_SCHEMA, SHARED_APP, migrations)
    except (asyncpg.PostgresError, MigrationFileError) as exc:
        result.status, result.after, result.error = "failed", result.before, _error_text(exc)
        return result
    result.after = plan.version
    result.applied = [m.version for m in plan.pending]
    result.status = "migrated" if plan.pending else "current"
    return result


async def migrate_all(
    address: ServerAddress, options: MigrateOptions, observer: Observer | None = None
) -> MigrateReport:
    """Migrate shared first (unless ``options.tenants`` only), then every guild schema behind.

    Never raises for a schema's failure: each is in the report. A failing shared migration
    stops the run before any guild schema is touched (tenant code may rely on it).
    """
    observer = observer or QuietObserver()
    started = time.perf_counter()
    migrations = list_migrations(TENANT_APP, options.root)
    report = MigrateReport(tenant_head=head_of(migrations))
    conn = await _connect(address)
    try:
        if options.shared:
            applied = await read_applied(conn, SHARED_SCHEMA, SHARED_APP)
            files = list_migrations(SHARED_APP, options.root)
            known, head = {m.version for m in files}, head_of(files)
            report.newer_shared = sorted(v for v in applied - known if is_newer(v, head))
            if report.newer_shared:  # this release must not migrate what a newer one made
                report.seconds = time.perf_counter() - started
                return report
            report.shared = await migrate_shared_schema(
                conn, root=options.root, lock_timeout_ms=options.lock_timeout_ms
            )
            if report.shared.status == "failed":
                report.seconds = time.perf_counter() - started
                return report
        if options.tenants:
            tenant_started = time.perf_counter()
            report.tenants = True
            # Schemas made before per-guild roles get theirs first: migrations run as it.
            report.roles = await give_roles(conn, address.database)
            jobs, skipped = await plan_guilds(conn, options.guild_ids, migrations, report)
            observer.planned(len(jobs) + len(skipped))
            runner = _Runner(address, options, migrations, observer)
            for result in skipped:
                runner.finish(result)
            await runner.run(jobs)
            report.guilds = sorted(runner.results, key=lambda r: r.guild_id or 0)
            report.tenant_seconds = time.perf_counter() - tenant_started
    finally:
        await conn.close()
    report.seconds = time.perf_counter() - started
    return report
