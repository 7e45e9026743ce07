"""``guildhall db status``: the shared schema's version, and the guild schemas' versions."""

from __future__ import annotations

from typing import Annotated

import asyncpg
import typer
from rich.table import Table

from app.cli._common import JsonOption, console, err_console, print_json, run_saying
from app.cli._db_server import MigrationsOption, server_address
from app.tenancy import MigrationFileError, MigrationStatus, asyncpg_fetch, migration_status


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


def status_command(
    migrations: MigrationsOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when anything is behind (for deploy gates).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Versions: the shared schema's, and how many guild schemas are at each version."""

    async def main() -> MigrationStatus:
        async with server_address() as address:
            conn = await asyncpg.connect(address.dsn)
            try:
                return await migration_status(asyncpg_fetch(conn), root=migrations)
            finally:
                await conn.close()

    status = run_saying(main(), {MigrationFileError: str})
    if as_json:
        print_json(status.to_json())
    else:
        _print_status(status)
    if status.newer_line or (check and not status.up_to_date):
        raise typer.Exit(1)  # newer: this release must not run against it, --check or not
