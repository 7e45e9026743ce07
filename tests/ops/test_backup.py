"""``guildhall db dump | restore | shell``: PostgreSQL's own tools on the database in use."""

from __future__ import annotations

import secrets
from pathlib import Path

import asyncpg
import pytest

from app.postgres.tools import ToolNotFound, embedded_bin_dir, find_tool, tool_major
from app.tenancy.connections.config import ServerAddress
from app.tenancy.naming import database_tag, role_for
from app.tenancy.scratch import scratch_database
from tests.ops.conftest import RunCli


async def _fetch(address: ServerAddress, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(address.dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def _table_owner(address: ServerAddress, guild: int) -> str:
    rows = await _fetch(
        address,
        f"SELECT tableowner FROM pg_tables WHERE schemaname = 'guild_{guild}' "
        "AND tablename = 'member'",
    )
    return str(rows[0]["tableowner"])


async def test_dump_then_restore_into_another_database_keeps_rows_and_gives_roles(
    cli: RunCli, server_address: ServerAddress, tmp_path: Path
) -> None:
    """A whole dump restored into a new database has the guild's rows, row and own role."""
    guild = 1_200_000_000_000_000_000 + secrets.randbelow(10**15)
    dump = tmp_path / "all.dump"
    async with scratch_database(server_address, "guildhall_dump") as source:
        assert (await cli("tenants", "provision", str(guild), DATABASE_URL=source.dsn)).code == 0
        await _fetch(source, f'INSERT INTO "guild_{guild}".member (user_id) VALUES (7)')
        dumped = await cli("db", "dump", "-o", str(dump), DATABASE_URL=source.dsn)
        assert dumped.code == 0, dumped
    async with scratch_database(server_address, "guildhall_restore") as target:
        restored = await cli("db", "restore", str(dump), DATABASE_URL=target.dsn)
        assert restored.code == 0, restored
        members = await _fetch(target, f'SELECT user_id FROM "guild_{guild}".member')
        tenants = await _fetch(target, f"SELECT status FROM shared.tenant WHERE guild_id={guild}")
        owner = await _table_owner(target, guild)
        again = await cli("db", "restore", str(dump), DATABASE_URL=target.dsn)
    assert [r["user_id"] for r in members] == [7]
    assert [r["status"] for r in tenants] == ["active"]
    assert owner == role_for(database_tag(target.database), guild)
    assert again.code == 2 and "already holds Guildhall data" in again.stderr


async def test_one_guild_dump_restores_after_a_purge(
    cli: RunCli, server_address: ServerAddress, tmp_path: Path
) -> None:
    """``--guild``: the guild's schema alone; restored after a purge, registered and migrated."""
    guild = 1_300_000_000_000_000_000 + secrets.randbelow(10**15)
    other = guild + 1
    dump = tmp_path / "one.dump"
    async with scratch_database(server_address, "guildhall_dump") as db:
        env = {"DATABASE_URL": db.dsn}
        assert (await cli("tenants", "provision", str(guild), str(other), **env)).code == 0
        await _fetch(db, f'INSERT INTO "guild_{guild}".member (user_id) VALUES (9)')
        assert (await cli("db", "dump", "--guild", str(guild), "-o", str(dump), **env)).code == 0
        refused = await cli("db", "restore", str(dump), "--guild", str(guild), **env)
        assert (await cli("tenants", "purge", str(guild), "--yes", "--force", **env)).code == 0
        restored = await cli("db", "restore", str(dump), "--guild", str(guild), **env)
        assert restored.code == 0, restored
        members = await _fetch(db, f'SELECT user_id FROM "guild_{guild}".member')
        tenants = await _fetch(
            db, f"SELECT schema_version FROM shared.tenant WHERE guild_id={guild}"
        )
        owner = await _table_owner(db, guild)
    assert refused.code == 2 and f"guild {guild} already has a schema" in refused.stderr
    assert [r["user_id"] for r in members] == [9]
    assert tenants and tenants[0]["schema_version"]
    assert owner == role_for(database_tag(db.database), guild)


async def test_shell_runs_psql_on_the_embedded_database_while_it_runs(
    cli: RunCli, tmp_path: Path
) -> None:
    """``db shell`` with no DATABASE_URL: psql reaches the embedded server's database."""
    result = await cli(
        "db", "shell", "--", "-Atc", "SELECT current_database()",
        DATABASE_URL="", DATA_DIR=str(tmp_path / "data"),
    )  # fmt: skip
    assert result.code == 0, result
    assert result.stdout.strip() == "guildhall"


async def test_shell_passes_on_psqls_exit_status(cli: RunCli) -> None:
    """A failing psql command makes ``db shell`` fail with psql's exit status."""
    result = await cli("db", "shell", "--", "-v", "ON_ERROR_STOP=1", "-c", "SELECT nope")
    assert result.code == 1 and "nope" in result.stderr


def test_find_tool_picks_a_program_that_can_read_the_server() -> None:
    """External server: its major version's pg_dump, else a newer one, else one clear error."""
    bundled = embedded_bin_dir() / "pg_dump"
    newest = tool_major(bundled)
    assert newest is not None
    assert tool_major(find_tool("pg_dump", embedded=False, server_major=newest)) == newest
    assert (tool_major(find_tool("pg_dump", embedded=False, server_major=10)) or 0) >= 10
    assert find_tool("pg_dump", embedded=True, server_major=newest) == bundled
    with pytest.raises(ToolNotFound, match=f"no pg_dump of PostgreSQL {newest + 1} or later"):
        find_tool("pg_dump", embedded=False, server_major=newest + 1)
