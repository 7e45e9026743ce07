"""``guildhall db verify``: is every guild schema what its recorded version should be?"""

from __future__ import annotations

from typing import Annotated

import asyncpg
import typer

from app.cli._common import CliError, console, err_console, guild_id, print_json, run
from app.cli._data_home import announce_embedded
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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Compare every guild schema with what its recorded migration version should have.

    Exit 0 when everything matches, 1 when a schema drifted or is orphaned or left over.
    """
    ids = [guild_id(value) for value in guilds] if guilds else None
    try:
        report = run(_verify(ids, jobs))
    except VerifyInputError as exc:
        raise CliError(str(exc), exit_code=2) from None
    except MigrationFileError as exc:
        raise CliError(str(exc)) from None
    except asyncpg.PostgresError as exc:
        # The catalog functions read the newest catalog, not the snapshot: a schema dropped
        # (purged) while the check ran can make them fail. Nothing was changed.
        raise CliError(
            f"the check failed ({exc}); if a guild was purged meanwhile, run it again"
        ) from None
    if as_json:
        print_json(report.to_json())
    else:
        for line in report.lines():
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        summary = f"{report.summary()} ({report.seconds:.1f} s)"
        if report.ok:
            console.print(summary, highlight=False)
        else:
            err_console.print(
                f"{summary}; `guildhall db verify --json` lists every difference",
                highlight=False,
                soft_wrap=True,
            )
    if not report.ok:
        raise typer.Exit(1)
