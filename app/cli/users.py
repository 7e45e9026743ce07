"""``guildhall users …``: data-deletion requests across every guild."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from app.cli._common import (
    CliError,
    JsonOption,
    console,
    id_column,
    print_json,
    run,
    tenancy_for,
)
from app.tenancy import FORGET_DEFAULT_JOBS, ForgetReport, forget_user_everywhere, parse_user_id

users_app = typer.Typer(help="Users across guilds: data-deletion requests.", no_args_is_help=True)


def _report_json(report: ForgetReport) -> dict[str, object]:
    return {
        "user_id": report.user_id,
        "guilds": [
            {"guild_id": g.guild_id, "status": g.status, "counts": g.counts, "error": g.error}
            for g in report.guilds
        ],
        "shared": report.shared,
        "guilds_checked": len(report.guilds),
        "failed": len(report.failed),
    }


def _print_report(report: ForgetReport) -> None:
    shown = [g for g in report.guilds if g.counts or g.error]
    tables = sorted({name for g in shown for name in g.counts})
    if shown:
        table = Table(id_column(), "status", *tables, "result")
        for g in shown:
            result = f"[red]failed: {g.error}[/red]" if g.error else "done"
            table.add_row(
                str(g.guild_id), g.status, *(str(g.counts.get(t, 0)) for t in tables), result
            )
        console.print(table)
    shared = ", ".join(f"{t} {n}" for t, n in report.shared.items()) or "nothing"
    console.print(
        f"user {report.user_id}: {len(report.guilds)} guild(s) checked, "
        f"{len(report.touched)} held data, {len(report.failed)} failed; shared: {shared}",
        highlight=False,
    )


@users_app.command("forget")
def forget_command(
    user: Annotated[str, typer.Argument(help="Discord user id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: the data is deleted for good.")] = (
        False
    ),
    jobs: Annotated[int, typer.Option(min=1, max=32, help="Guilds at once.")] = FORGET_DEFAULT_JOBS,
    as_json: JsonOption = False,
) -> None:
    """Delete (or anonymise) a user's data in every guild, any status, and in shared.

    Follows each tenant model's user_data policy. A guild that fails is reported and the
    others go on; exit status 1 if any failed (re-running is safe).
    """
    try:
        user_id = parse_user_id(user.strip())
    except ValueError as exc:
        raise CliError(str(exc), exit_code=2) from None
    if not yes:
        raise CliError(
            f"this deletes user {user_id}'s data in every guild for good; add --yes to confirm",
            exit_code=2,
        )

    async def main() -> ForgetReport:
        async with tenancy_for():
            return await forget_user_everywhere(user_id, jobs=jobs)

    report = run(main())
    if as_json:
        print_json(_report_json(report))
    else:
        _print_report(report)
    if report.failed:
        raise typer.Exit(1)
