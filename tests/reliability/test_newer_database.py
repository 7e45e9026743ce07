"""A database migrated by a newer release is named as such, once, with a non-zero exit
(issue 13, item 4): ``db status``, ``doctor``, ``db migrate`` and the bot's start-up log."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from app.tenancy.connections.config import ServerAddress
from app.tenancy.migrations.versions import asyncpg_fetch, report_pending_migrations
from app.tenancy.scratch import scratch_database
from tests.reliability.processes import cli_env, guildhall

FUTURE = "99_20991231000000_future.py"
GUILDS = ("311111111111111111", "322222222222222222", "333333333333333333")
NEWER = "the database is newer than this release"


@pytest.fixture
async def newer(database: ServerAddress, tmp_path: Path) -> AsyncIterator[ServerAddress]:
    """A database of its own: three guilds, two of them migrated by a 'future' release."""
    async with scratch_database(database, "guildhall_newer") as address:
        env = cli_env(address)
        code, lines = await guildhall(["tenants", "provision", *GUILDS], env, tmp_path)
        assert code == 0, lines
        conn = await asyncpg.connect(address.dsn)
        try:
            for guild in GUILDS[:2]:
                await conn.execute(
                    f"INSERT INTO guild_{guild}.aerich (version, app, content) "
                    "VALUES ($1, 'tenant', '{}')",
                    FUTURE,
                )
            await conn.execute(
                "UPDATE shared.tenant SET schema_version = $1 WHERE guild_id = ANY($2::bigint[])",
                FUTURE,
                [int(g) for g in GUILDS[:2]],
            )
        finally:
            await conn.close()
        yield address


async def _run(args: list[str], address: ServerAddress, cwd: Path) -> tuple[int, list[str]]:
    return await guildhall(args, cli_env(address), cwd)


async def test_db_status_says_newer_once_and_exits_1(newer, tmp_path) -> None:
    """`db status` (no --check): one line naming the newer version and its guild count, exit 1."""
    code, lines = await _run(["db", "status"], newer, tmp_path)
    assert code == 1
    said = [line for line in lines if NEWER in line]
    assert len(said) == 1 and f"2 guild schema(s) are at {FUTURE}" in said[0]


async def test_db_migrate_summarises_once_and_exits_1(newer, tmp_path) -> None:
    """`db migrate`: no line per guild, one summary, exit 1; the newer schemas are untouched."""
    code, lines = await _run(["db", "migrate"], newer, tmp_path)
    assert code == 1
    assert [line for line in lines if "skipped" in line] == []
    assert lines[-1] == (
        f"guildhall: {NEWER}: 2 guild schema(s) are at {FUTURE}; "
        "deploy the release that has these migrations (or a newer one)"
    )


async def test_db_migrate_with_a_newer_shared_schema_touches_nothing(newer, tmp_path) -> None:
    """A shared migration from a newer release: one line, exit 1, no guild schema migrated."""
    conn = await asyncpg.connect(newer.dsn)
    try:
        await conn.execute(
            "INSERT INTO shared.aerich (version, app, content) VALUES ($1, 'shared', '{}')", FUTURE
        )
        code, lines = await _run(["db", "migrate"], newer, tmp_path)
        assert code == 1
        assert lines == [
            f"guildhall: {NEWER}: the shared schema has {FUTURE}; "
            "deploy the release that has these migrations (or a newer one)"
        ]
    finally:
        await conn.close()


async def test_doctor_reports_newer_as_an_error(newer, tmp_path) -> None:
    """`doctor --json`: one error finding saying 'newer than this release', no 'behind', exit 1."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "doctor", "--json", env=cli_env(newer), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    findings = json.loads(out)["findings"]
    said = [f for f in findings if NEWER in f["message"]]
    assert len(said) == 1 and said[0]["level"] == "error"
    assert not [f for f in findings if "not at the tenant head" in f["message"]]


async def test_bot_start_up_logs_newer_once(newer, caplog) -> None:
    """The start-up report logs one error saying 'newer', and no 'behind' warning."""
    log = logging.getLogger("test.newer")
    conn = await asyncpg.connect(newer.dsn)
    try:
        with caplog.at_level(logging.INFO, logger="test.newer"):
            status = await report_pending_migrations(log, fetch=asyncpg_fetch(conn))
    finally:
        await conn.close()
    assert status is not None and status.guilds_behind == 0
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and NEWER in errors[0].getMessage()
    assert not [r for r in caplog.records if "behind" in r.getMessage()]
