"""``guildhall db migrate``: the shared schema, then every guild schema that is behind.

The progress bar goes to stderr and the report to stdout, so a script keeps only the report.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from app.cli._common import CliError, JsonOption, console, err_console, guild_id, run_saying
from app.cli._db_server import MigrationsOption, server_address
from app.cli._report import finish
from app.tenancy import (
    MigrateOptions,
    MigrateReport,
    MigrationFileError,
    SchemaResult,
    migrate_all,
)


class _RateColumn(ProgressColumn):
    """Schemas per second, from rich's own speed estimate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} schemas/s" if speed else "… schemas/s", style="cyan")


class _Bar:
    """The progress bar (on stderr, so stdout keeps only the summary)."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[failed]}"),
            console=err_console,
            transient=False,
        )
        self.task: TaskID | None = None
        self.failures = 0

    def planned(self, total: int) -> None:
        if total:  # shown only once there is work: an early refusal stays one line
            self.progress.start()
            self.task = self.progress.add_task("guild schemas", total=total, failed="")

    def stop(self) -> None:
        if self.task is not None:
            self.progress.stop()

    def done(self, result: SchemaResult) -> None:
        if self.task is None:
            return
        if result.status == "failed":
            self.failures += 1
        failed = f"[red]{self.failures} failed[/red]" if self.failures else ""
        self.progress.update(self.task, advance=1, failed=failed)


def _print_shared(shared: SchemaResult) -> None:
    """The shared schema's line: what it went through, or that it was current."""
    if shared.status == "migrated":
        console.print(
            f"shared: {shared.before or '(new)'} -> {shared.after} "
            f"(applied {', '.join(shared.applied)})",
            highlight=False,
            soft_wrap=True,
        )
    elif shared.status == "current":
        console.print(f"shared: up to date at {shared.after}", highlight=False)


def _print_tenants(report: MigrateReport) -> None:
    """The guild schemas' counts, the roles given, and the schemas nobody registered."""
    s = report.summary()
    if s["behind"] == 0 and report.registered and not report.newer_guilds:
        console.print(
            f"tenants: all {report.registered} guild schemas at {report.tenant_head}",
            highlight=False,
        )
    else:
        console.print(
            f"tenants: {s['migrated']} migrated, {s['current']} already current, "
            f"{s['failed']} failed, {s['skipped']} skipped "
            f"({s['behind']} behind of {s['registered']} registered) "
            f"in {report.tenant_seconds:.1f} s, {report.rate:,.0f} schemas/s; "
            f"head {report.tenant_head}",
            highlight=False,
            soft_wrap=True,
        )
    if report.roles.given:
        console.print(
            f"roles: {len(report.roles.given)} guild schema(s) got their database role",
            highlight=False,
        )
    for guild, error in report.roles.failed.items():
        err_console.print(
            f"[red]FAILED guild {guild}: giving its schema its role: {error}[/red]",
            highlight=False,
            soft_wrap=True,
        )
    if report.unregistered_schemas:
        err_console.print(
            f"[yellow]{report.unregistered_schemas} guild schema(s) have no registry row "
            "and were not migrated[/yellow]",
            highlight=False,
        )


def _print_guild_problems(report: MigrateReport) -> None:
    """Each skipped guild and each schema that failed, on stderr."""
    for result in report.guilds:
        if result.status == "skipped":
            err_console.print(
                f"[yellow]skipped guild {result.guild_id}: {result.error}[/yellow]",
                highlight=False,
            )
    for result in report.failed:
        where = f"guild {result.guild_id} ({result.schema})" if result.guild_id else result.schema
        err_console.print(
            f"[red]FAILED {where}, still at {result.before or '(nothing)'}: {result.error}[/red]",
            highlight=False,
            soft_wrap=True,
        )


def _print_report(report: MigrateReport) -> None:
    if report.shared is not None:
        _print_shared(report.shared)
    if report.tenants:
        _print_tenants(report)
    _print_guild_problems(report)


def _not_ok_line(report: MigrateReport) -> str:
    """The one closing line of a run that did not bring everything to the head."""
    if report.newer_line:
        line = report.newer_line
    elif report.failed or report.roles.failed:
        line = (
            f"{len(report.failed) + len(report.roles.failed)} schema(s) failed to migrate; "
            "fix the cause and run "
            "`guildhall db migrate` again (only schemas still behind are touched)"
        )
    else:
        line = (
            f"{report.count('skipped')} guild(s) skipped (see above); nothing was migrated for them"
        )
    return f"guildhall: {line}"


def _migrate(options: MigrateOptions, *, progress: bool) -> MigrateReport:
    """Run the migrator on the configured server (with a progress bar for people)."""

    async def main() -> MigrateReport:
        async with server_address() as address:
            if not progress:
                return await migrate_all(address, options)
            bar = _Bar()
            try:
                return await migrate_all(address, options, bar)
            finally:
                bar.stop()

    return run_saying(
        main(),
        {
            MigrationFileError: str,
            asyncpg.UndefinedTableError: lambda exc: (
                f"{exc}; the shared schema is not migrated yet, run `guildhall db migrate`"
            ),
        },
    )


def migrate_command(
    shared_only: Annotated[
        bool, typer.Option("--shared-only", help="Only the shared schema.")
    ] = False,
    tenants_only: Annotated[
        bool, typer.Option("--tenants-only", help="Only guild schemas.")
    ] = False,
    guilds: Annotated[
        list[str] | None,
        typer.Option("--guild", help="Only this guild (repeatable); still only if behind."),
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, max=16, help="Connections at once.")] = 2,
    batch: Annotated[int, typer.Option(min=1, max=500, help="Guild schemas per transaction.")] = 25,
    lock_timeout: Annotated[
        float,
        typer.Option(min=0.01, help="Seconds to wait for a table lock before failing a schema."),
    ] = 5.0,
    migrations: MigrationsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Migrate the shared schema, then every guild schema that is behind.

    Each schema migrates atomically; a failing one stays at its version and the rest go on.
    Re-running touches only the schemas still behind (safe after a crash).
    """
    if shared_only and tenants_only:
        raise CliError("--shared-only and --tenants-only exclude each other", exit_code=2)
    options = MigrateOptions(
        shared=not tenants_only,
        tenants=not shared_only,
        guild_ids=[guild_id(value) for value in guilds] if guilds else None,
        jobs=jobs,
        batch_size=batch,
        lock_timeout_ms=int(lock_timeout * 1000),
        root=migrations,
    )
    report = _migrate(options, progress=not as_json)
    finish(report, as_json=as_json, show=_print_report, closing=_not_ok_line)
