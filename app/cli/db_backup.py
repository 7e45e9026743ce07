"""``guildhall db dump | restore | shell``: PostgreSQL's own tools on the database in use.

The embedded server stays up for as long as the tool runs (``db url`` printed an address that
died with the command). Dumps are pg_dump's custom format without owners or grants: guild
roles are named after the database (README, "Database roles"), so a dump restored into another
database gets its roles from the ``db migrate`` that ``db restore`` runs afterwards.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import asyncpg
import typer

from app.cli._common import CliError, console, guild_id, run
from app.cli._db_server import server_up
from app.postgres import DatabaseServer, ToolNotFound, find_tool, libpq_env
from app.tenancy import MigrateOptions, MigrateReport, migrate_all, register_restored, schema_for

#: Spare schemas carry roles named after their database: they are not worth carrying over.
SPARES = "guildhall_spare_*"

GuildOption = Annotated[
    str | None, typer.Option("--guild", help="Only this guild's schema.", show_default=False)
]


async def _start(
    server: DatabaseServer, name: str, *args: str, capture: bool = False
) -> asyncio.subprocess.Process:
    conn = await asyncpg.connect(server.address.dsn)
    try:
        major = conn.get_server_version().major
    finally:
        await conn.close()
    try:
        program = find_tool(name, embedded=server.is_embedded, server_major=major)
    except ToolNotFound as exc:
        raise CliError(str(exc)) from None
    return await asyncio.create_subprocess_exec(
        str(program),
        *args,
        env=libpq_env(server.address),
        stdout=asyncio.subprocess.PIPE if capture else None,
    )


async def _tool(server: DatabaseServer, name: str, *args: str, interactive: bool = False) -> int:
    """Run a PostgreSQL client program on the server's database; its exit status."""
    process = await _start(server, name, *args)
    if not interactive:
        return await process.wait()
    # Ctrl-C belongs to psql (it cancels the running query), not to this process.
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, lambda: None)
    try:
        return await process.wait()
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _schemas(server: DatabaseServer) -> set[str]:
    """The Guildhall schemas in the database: ``shared`` and every ``guild_<id>``."""
    conn = await asyncpg.connect(server.address.dsn)
    try:
        rows = await conn.fetch(
            "SELECT nspname FROM pg_namespace "
            "WHERE nspname = 'shared' OR nspname ~ '^guild_[0-9]+$'"
        )
    finally:
        await conn.close()
    return {row["nspname"] for row in rows}


def dump_command(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="The dump file (default: a dated name).")
    ] = None,
    guild: GuildOption = None,
) -> None:
    """Dump the whole database, or one guild's schema, with pg_dump (custom format)."""
    gid = guild_id(guild) if guild is not None else None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    async def main() -> Path:
        async with server_up() as server:
            database = server.address.database
            target = output or Path(
                f"guildhall-{database}-{f'guild-{gid}-' if gid else ''}{stamp}.dump"
            )
            if target.exists():
                raise CliError(f"{target} already exists; choose another --output", exit_code=2)
            which = ["--exclude-schema", SPARES]
            if gid is not None:
                if schema_for(gid) not in await _schemas(server):
                    raise CliError(f"guild {gid} has no schema in database {database}", 2)
                which = ["--schema", schema_for(gid)]
            options = ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
            code = await _tool(server, "pg_dump", *options, *which, f"--dbname={database}")
            if code != 0:
                target.unlink(missing_ok=True)
                raise CliError(f"pg_dump failed (exit {code}); see its message above")
            return target

    target = run(main())
    what = f"guild {gid}" if gid is not None else "the whole database"
    console.print(f"dumped {what} to {target} ({target.stat().st_size:,} bytes)", highlight=False)


def _check_restorable(present: set[str], database: str, gid: int | None) -> None:
    """Refuse a restore that would mix with data already there."""
    if gid is None and present:
        raise CliError(
            f"database {database} already holds Guildhall data ({len(present)} schema(s)); "
            "restore into an empty database (point DATABASE_URL or DATA_DIR at a new one)",
            exit_code=2,
        )
    if gid is not None and "shared" not in present:
        raise CliError(f"database {database} has no registry; run `guildhall db migrate` first", 2)
    if gid is not None and schema_for(gid) in present:
        raise CliError(
            f"guild {gid} already has a schema in database {database}; purge it first "
            f"(`guildhall tenants purge {gid} --yes`) to replace it with the dump",
            exit_code=2,
        )


async def _dumped_guild_schemas(server: DatabaseServer, dump: Path) -> set[str]:
    """The guild schemas a dump file creates (from its table of contents)."""
    process = await _start(server, "pg_restore", "--list", str(dump), capture=True)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise CliError(f"{dump} is not a dump from `guildhall db dump`", exit_code=2)
    # A TOC line: "1234; 2615 16385 SCHEMA - guild_1 postgres".
    words = (line.split() for line in out.decode().splitlines() if " SCHEMA - " in line)
    names = {w[w.index("SCHEMA") + 2] for w in words}
    return {name for name in names if name.startswith("guild_")}


def restore_command(
    dump: Annotated[
        Path, typer.Argument(help="A file from `guildhall db dump`.", exists=True, dir_okay=False)
    ],
    guild: GuildOption = None,
) -> None:
    """Restore a dump into the database in use (empty, or without that guild), then migrate."""
    gid = guild_id(guild) if guild is not None else None

    async def main() -> MigrateReport:
        async with server_up() as server:
            database = server.address.database
            _check_restorable(await _schemas(server), database, gid)
            if gid is not None and await _dumped_guild_schemas(server, dump) != {schema_for(gid)}:
                raise CliError(f"{dump} is not a dump of guild {gid} alone (--guild)", 2)
            options = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
            code = await _tool(server, "pg_restore", *options, f"--dbname={database}", str(dump))
            if code != 0:
                raise CliError(f"pg_restore failed (exit {code}), nothing was restored")
            if gid is not None:
                conn = await asyncpg.connect(server.address.dsn)
                try:
                    await register_restored(conn, gid)
                finally:
                    await conn.close()
            # Roles for the restored schemas (they are the login's after --no-owner), and any
            # migration the dump predates.
            only = [gid] if gid is not None else None
            return await migrate_all(server.address, MigrateOptions(guild_ids=only))

    report = run(main())
    what = f"guild {gid}" if gid is not None else "the database"
    console.print(f"restored {what} from {dump}", highlight=False)
    if not report.ok:
        raise CliError("restored, but `guildhall db migrate` failed; run it again to see why")


def shell_command(
    args: Annotated[
        list[str] | None, typer.Argument(help="psql's own options, after --.", show_default=False)
    ] = None,
) -> None:
    """psql on the database in use; the embedded server stays up until psql exits."""

    async def main() -> int:
        async with server_up() as server:
            return await _tool(server, "psql", *(args or []), interactive=True)

    raise typer.Exit(run(main()))


def register(db_app: typer.Typer) -> None:
    """Add ``dump``, ``restore`` and ``shell`` to ``guildhall db``."""
    db_app.command("dump")(dump_command)
    db_app.command("restore")(restore_command)
    db_app.command("shell")(shell_command)
