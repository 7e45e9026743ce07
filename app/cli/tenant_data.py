"""``guildhall tenants export|import|purge``: a guild's rows out, back in, or gone for good."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.table import Table

from app.cli._common import (
    CliError,
    JsonOption,
    console,
    err_console,
    guild_id,
    id_column,
    print_json,
    run,
    tenancy_for,
)
from app.tenancy import RetentionReport, export_guild, import_guild, purge_left_before, purge_tenant


def export_command(
    guild: Annotated[str, typer.Argument(help="Guild id.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="File to write (default: stdout).", dir_okay=False),
    ] = None,
) -> None:
    """Write every row of a guild as JSON (any status; streamed, fixed memory)."""
    gid = guild_id(guild)

    async def main(out: TextIO) -> dict[str, int]:
        async with tenancy_for():
            return await export_guild(gid, out.write)

    if output is None:
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(encoding="utf-8")
        try:
            counts = run(main(sys.stdout))
            sys.stdout.flush()
        except BrokenPipeError:
            # `| head`: the reader left. Point stdout at /dev/null so the exit does not fail
            # again flushing it, and say the export is incomplete.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise CliError("stdout was closed before the export finished") from None
        where = "stdout"
    else:
        # Written beside the target and renamed at the end: a failed export leaves no file
        # that looks complete.
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as out:
                counts = run(main(out))
            os.replace(partial, output)
        except OSError as exc:
            raise CliError(f"cannot write {output}: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(OSError):
                partial.unlink()
        where = str(output)
    err_console.print(
        f"guild {gid}: exported {sum(counts.values())} row(s) from {len(counts)} table(s) "
        f"to {where}",
        highlight=False,
    )


def import_command(
    guild: Annotated[str, typer.Argument(help="Guild id (must be provisioned).")],
    file: Annotated[str, typer.Argument(help="An export or fixture file; - for stdin.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete the guild's rows first (a restore).")
    ] = False,
    from_other_guild: Annotated[
        bool,
        typer.Option("--from-other-guild", help="Accept a file exported from another guild."),
    ] = False,
) -> None:
    """Load an export or fixture into a guild, in one transaction.

    Refused when the guild already has rows, unless --replace (which empties every table of
    the guild first). Sequences are moved past the imported ids.
    """
    gid = guild_id(guild)

    async def main(source: TextIO) -> dict[str, int]:
        async with tenancy_for():
            return await import_guild(
                gid, source, replace=replace, allow_other_guild=from_other_guild
            )

    if file == "-":
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(encoding="utf-8")
        counts = run(main(sys.stdin))
    else:
        try:
            with open(file, encoding="utf-8") as source:
                counts = run(main(source))
        except OSError as exc:
            raise CliError(f"cannot read {file}: {exc.strerror or exc}", exit_code=2) from None
    how = " (existing rows replaced)" if replace else ""
    detail = ", ".join(f"{table} {n}" for table, n in counts.items())
    console.print(
        f"guild {gid}: imported {sum(counts.values())} row(s){how}"
        + (f": {detail}" if detail else ""),
        highlight=False,
    )


def purge_command(
    guild: Annotated[str | None, typer.Argument(help="Guild id.")] = None,
    left_before: Annotated[
        int | None,
        typer.Option(
            "--left-before", min=0, metavar="DAYS", help="Every guild that left DAYS days ago."
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: the data is deleted for good.")] = (
        False
    ),
    force: Annotated[bool, typer.Option("--force", help="Purge an active guild too.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Drop guilds' schemas and registry rows for good (ID, or --left-before DAYS)."""
    if (guild is None) == (left_before is None):
        raise CliError("give a guild id or --left-before DAYS (one of them)", exit_code=2)
    gid = guild_id(guild) if guild is not None else None
    if not yes:
        what = f"guild {gid}'s data" if gid is not None else "the data of guilds that left"
        raise CliError(f"purging deletes {what} for good; add --yes to confirm", exit_code=2)

    async def main() -> RetentionReport:
        async with tenancy_for() as tenancy:
            if left_before is not None:
                return await purge_left_before(left_before, tenancy=tenancy)
            assert gid is not None
            await purge_tenant(gid, force=force, tenancy=tenancy)
            return RetentionReport(purged=[gid])

    report = run(main())
    if as_json:
        print_json({"purged": report.purged, "failed": report.failed})
    elif gid is not None:
        console.print(f"guild {gid} purged: schema and registry row deleted", highlight=False)
    else:
        table = Table(id_column(), "result")
        for purged in report.purged:
            table.add_row(str(purged), "purged")
        for failed, error in report.failed.items():
            table.add_row(str(failed), f"[red]failed: {error}[/red]")
        if report.purged or report.failed:
            console.print(table)
        console.print(
            f"{len(report.purged)} guild(s) purged, {len(report.failed)} failed "
            f"(left more than {left_before} day(s) ago)",
            highlight=False,
        )
    if report.failed:
        raise typer.Exit(1)


def register(tenants_app: typer.Typer) -> None:
    """Add ``export``, ``import`` and ``purge`` to ``guildhall tenants``."""
    tenants_app.command("export")(export_command)
    tenants_app.command("import")(import_command)
    tenants_app.command("purge")(purge_command)
