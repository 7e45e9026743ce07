"""``guildhall db verify``: is every guild schema what its recorded version should be?"""

from __future__ import annotations

from typing import Annotated

import asyncpg
import typer

from app.cli._common import JsonOption, Says, console, guild_id, run_saying
from app.cli._data_home import announce_embedded
from app.cli._report import finish
from app.postgres import open_server
from app.settings import load_settings
from app.tenancy import (
    MigrationFileError,
    VerifyInputError,
    VerifyReport,
    tenant_head_ddl,
    verify_schemas,
)


async def _verify(guild_ids: list[int] | None, jobs: int) -> VerifyReport:
    settings = load_settings()
    announce_embedded(settings)
    server = await open_server(settings.database_url, settings.data_dir)
    try:
        ddl = await tenant_head_ddl(server.address)
        conns = [await asyncpg.connect(server.address.dsn) for _ in range(jobs)]
        try:
            return await verify_schemas(conns[0], ddl=ddl, guild_ids=guild_ids, helpers=conns[1:])
        finally:
            for conn in conns:
                await conn.close()
    finally:
        server.stop()


def verify_command(
    guilds: Annotated[
        list[str] | None, typer.Option("--guild", help="Only this guild (repeatable).")
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, max=8, help="Connections at once.")] = 2,
    as_json: JsonOption = False,
) -> None:
    """Compare every guild schema with what its recorded migration version should have.

    Exit 0 when everything matches, 1 when a schema drifted or is orphaned or left over.
    """
    ids = [guild_id(value) for value in guilds] if guilds else None
    says: Says = {
        MigrationFileError: str,
        # The catalog functions read the newest catalog, not the snapshot: a schema dropped
        # (purged) while the check ran can make them fail. Nothing was changed.
        asyncpg.PostgresError: lambda exc: (
            f"the check failed ({exc}); if a guild was purged meanwhile, run it again"
        ),
    }
    report = run_saying(_verify(ids, jobs), says, usage=(VerifyInputError,))
    finish(report, as_json=as_json, show=_print_report, closing=_not_ok_line)


def _summary(report: VerifyReport) -> str:
    return f"{report.summary()} ({report.seconds:.1f} s)"


def _print_report(report: VerifyReport) -> None:
    """Each difference, then the summary (on stderr with the closing line when not ok)."""
    for line in report.lines():
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    if report.ok:
        console.print(_summary(report), highlight=False)


def _not_ok_line(report: VerifyReport) -> str:
    return f"{_summary(report)}; `guildhall db verify --json` lists every difference"
