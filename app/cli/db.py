"""``guildhall db …``: the database server and migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum
from pathlib import Path
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
from rich.table import Table
from rich.text import Text

from app.cli._common import CliError, console, err_console, guild_id, print_json, run, tenancy_for
from app.cli.db_backup import server_up
from app.cli.db_verify import verify_command
from app.tenancy import (
    MakeMigrationError,
    MakeMigrationResult,
    MigrateOptions,
    MigrateReport,
    MigrationFileError,
    MigrationStatus,
    SchemaResult,
    ServerAddress,
    asyncpg_fetch,
    make_migration,
    migrate_all,
    migration_status,
)

db_app = typer.Typer(
    help="The database: URL, migrations, versions, backups, psql.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
MigrationsOption = Annotated[
    Path | None,
    typer.Option(
        "--migrations",
        help="Migrations folder holding shared/ and tenant/ (default: the shipped one).",
        exists=True,
        file_okay=False,
    ),
]


@asynccontextmanager
async def _server() -> AsyncIterator[ServerAddress]:
    """The configured server's address (the embedded one is started and stopped)."""
    async with server_up() as server:
        yield server.address


@db_app.command("url")
def url_command() -> None:
    """Print the effective database URL (starts the embedded server when none is set)."""

    async def main() -> str:
        async with tenancy_for() as tenancy:
            return tenancy.address.dsn

    print(run(main()))


# --- migrate ------------------------------------------------------------------------------


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


def _print_report(report: MigrateReport) -> None:
    shared = report.shared
    if shared is not None:
        if shared.status == "migrated":
            console.print(
                f"shared: {shared.before or '(new)'} -> {shared.after} "
                f"(applied {', '.join(shared.applied)})",
                highlight=False,
                soft_wrap=True,
            )
        elif shared.status == "current":
            console.print(f"shared: up to date at {shared.after}", highlight=False)
    if report.tenants:
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


@db_app.command("migrate")
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
    ids = [guild_id(value) for value in guilds] if guilds else None
    options = MigrateOptions(
        shared=not tenants_only,
        tenants=not shared_only,
        guild_ids=ids,
        jobs=jobs,
        batch_size=batch,
        lock_timeout_ms=int(lock_timeout * 1000),
        root=migrations,
    )

    async def main() -> MigrateReport:
        async with _server() as address:
            if as_json:
                return await migrate_all(address, options)
            bar = _Bar()
            try:
                return await migrate_all(address, options, bar)
            finally:
                bar.stop()

    try:
        report = run(main())
    except MigrationFileError as exc:
        raise CliError(str(exc)) from None
    except asyncpg.UndefinedTableError as exc:
        raise CliError(
            f"{exc}; the shared schema is not migrated yet, run `guildhall db migrate`"
        ) from None
    if as_json:
        print_json(report.to_json())
    else:
        _print_report(report)
    if not report.ok:
        if not as_json:
            err_console.print(f"guildhall: {_not_ok_line(report)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


def _not_ok_line(report: MigrateReport) -> str:
    """The one closing line of a run that did not bring everything to the head."""
    if report.newer_line:
        return report.newer_line
    if report.failed or report.roles.failed:
        return (
            f"{len(report.failed) + len(report.roles.failed)} schema(s) failed to migrate; "
            "fix the cause and run "
            "`guildhall db migrate` again (only schemas still behind are touched)"
        )
    return f"{report.count('skipped')} guild(s) skipped (see above); nothing was migrated for them"


# --- status -------------------------------------------------------------------------------


def _print_shared(status: MigrationStatus) -> None:
    """The shared schema's line: its version, what is pending or newer, the head."""
    shared = "up to date" if not status.shared_pending else f"{len(status.shared_pending)} pending"
    if status.shared_newer:
        shared = f"newer than this release: {', '.join(status.shared_newer)}"
    console.print(
        f"shared: {status.shared_version or '(not created)'} ({shared}; head {status.shared_head})",
        highlight=False,
    )


def _print_versions(status: MigrationStatus) -> None:
    """How many guild schemas are at each tenant version."""
    table = Table("tenant version", "guild schemas", "state")
    for row in status.to_json()["tenants"]["versions"]:
        by = row["behind_by"]
        if row["version"] == status.tenant_head:
            state = "[green]head[/green]"
        elif row["version"] in status.guilds_newer:
            state = "[red]newer than this release[/red]"
        elif by is None:
            state = "[yellow]unknown to this release[/yellow]" if row["version"] else "unrecorded"
        else:
            state = f"[yellow]behind by {by}[/yellow]"
        table.add_row(row["version"] or "(none)", f"{row['guilds']:,}", state)
    console.print(table)
    console.print(
        f"{status.guilds:,} guild schema(s); {status.guilds_behind:,} behind the head "
        f"{status.tenant_head}",
        highlight=False,
    )


def _print_status(status: MigrationStatus) -> None:
    _print_shared(status)
    if status.guilds or status.missing_schemas:
        _print_versions(status)
    else:
        console.print(
            "no guild schemas yet: a guild gets one when the bot joins it "
            "(or with `guildhall tenants provision ID`)",
            highlight=False,
            soft_wrap=True,
        )
    if status.missing_schemas:
        console.print(
            f"[yellow]{status.missing_schemas} registered guild(s) have no schema; "
            "`guildhall tenants provision ID` recreates it[/yellow]",
            highlight=False,
        )
    if status.unregistered_schemas:
        console.print(
            f"[yellow]{status.unregistered_schemas} guild schema(s) have no registry row[/yellow]",
            highlight=False,
        )
    if status.shared_pending or status.guilds_behind:
        console.print("run `guildhall db migrate` to bring them to the head", highlight=False)
    if status.newer_line:
        err_console.print(f"guildhall: {status.newer_line}", highlight=False, soft_wrap=True)


@db_app.command("status")
def status_command(
    migrations: MigrationsOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when anything is behind (for deploy gates).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Versions: the shared schema's, and how many guild schemas are at each version."""

    async def main() -> MigrationStatus:
        async with _server() as address:
            conn = await asyncpg.connect(address.dsn)
            try:
                return await migration_status(asyncpg_fetch(conn), root=migrations)
            finally:
                await conn.close()

    try:
        status = run(main())
    except MigrationFileError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        print_json(status.to_json())
    else:
        _print_status(status)
    if status.newer_line or (check and not status.up_to_date):
        raise typer.Exit(1)  # newer: this release must not run against it, --check or not


# --- makemigrations -----------------------------------------------------------------------


class MigrationsApp(StrEnum):
    """The two Tortoise apps that have migrations."""

    shared = "shared"
    tenant = "tenant"


@db_app.command("makemigrations")
def makemigrations_command(
    app: Annotated[MigrationsApp, typer.Argument(help="Which app's models changed.")],
    name: Annotated[str, typer.Option("--name", help="What the migration does, e.g. add_x.")],
    empty: Annotated[
        bool, typer.Option("--empty", help="Write an empty migration for hand-written SQL.")
    ] = False,
    migrations: MigrationsOption = None,
    models: Annotated[
        list[str] | None,
        typer.Option("--models", help="Model modules instead of the app's (development)."),
    ] = None,
) -> None:
    """Write a new aerich migration for an app's model changes (diffed in a scratch schema)."""

    async def main() -> MakeMigrationResult:
        async with _server() as address:
            return await make_migration(
                address, app.value, name, root=migrations, models=models, empty=empty
            )

    try:
        result = run(main())
    except (MakeMigrationError, MigrationFileError) as exc:
        raise CliError(str(exc)) from None
    if result.path is None:
        console.print(f"no changes in the {app} models; nothing written", highlight=False)
    else:
        console.print(f"wrote {result.path}", highlight=False)
        console.print(
            result.sql or "(empty: write its SQL by hand)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if result.drift:
        for line in result.drift:
            err_console.print(f"drift: {line}", style="yellow", highlight=False, markup=False)
        raise CliError(
            f"replaying the {app} migrations does not give the schema the models' DDL gives "
            "(left: migrations, right: models); edit the migration so new and migrated guild "
            "schemas match"
        )


db_app.command("verify")(verify_command)
