"""``guildhall run`` as a real process: token errors, a full session against the fake Discord,
and a clean stop on SIGTERM / SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncpg
import pytest

from app.tenancy import Tenancy
from app.tenancy.connections.config import ServerAddress
from app.tenancy.locks import guild_lock_key
from bench.fakediscord import FakeDiscord
from tests.bot.conftest import ALICE, APP_OWNER, eventually, tenant_of

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


def guildhall_env(**values: str) -> dict[str, str]:
    """The environment of a ``guildhall`` child: ours minus every Guildhall setting."""
    names = ("DISCORD_", "DATABASE_URL", "OWNER_IDS", "DATA_DIR", "LOG_", "TENANT_")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(names)}
    env["PYTHONPATH"] = str(REPO)
    env.update(values)
    return env


async def start_guildhall(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    # cwd is an empty directory, so no developer .env is read.
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "run",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    _, stderr = await asyncio.wait_for(proc.communicate(), START_TIMEOUT_S)
    assert proc.returncode is not None
    return proc.returncode, stderr.decode()


async def test_run_without_token_names_it_and_exits_2(tmp_path: Path) -> None:
    """No DISCORD_TOKEN: one line naming it on stderr, exit code 2, nothing started."""
    proc = await start_guildhall(guildhall_env(), tmp_path)
    code, stderr = await finish(proc)
    assert code == 2
    assert stderr.splitlines() == [
        "guildhall: DISCORD_TOKEN is not set; put the bot token in the environment or in .env"
    ]


async def test_run_with_rejected_token_says_login_failed_and_exits_1(
    tmp_path: Path, tenancy: Tenancy, database: ServerAddress
) -> None:
    """A token Discord rejects: one line saying the login failed, exit 1, no traceback."""
    async with FakeDiscord(token="right") as fake:
        env = guildhall_env(
            DISCORD_TOKEN="wrong",
            DISCORD_API_BASE=fake.api_base,
            DATABASE_URL=database.dsn,
            LOG_LEVEL="WARNING",
        )
        code, stderr = await finish(await start_guildhall(env, tmp_path))
    assert code == 1
    assert stderr.splitlines() == [
        "guildhall: login to Discord failed: the token in DISCORD_TOKEN was rejected"
    ]


async def test_run_serves_commands_then_stops_cleanly_on_sigterm(
    tmp_path: Path, tenancy: Tenancy, database: ServerAddress
) -> None:
    """The process logs in through DISCORD_API_BASE, provisions its guild, answers a command,
    and on SIGTERM closes everything and exits 0."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    guild = fake.add_guild(name="Run Guild")
    async with fake:
        proc = await start_guildhall(serving_env(fake, database), tmp_path)
        try:
            await fake.wait_for_ready(timeout_s=START_TIMEOUT_S)
            await eventually(lambda: tenant_of(guild.id), timeout_s=START_TIMEOUT_S)
            reply = await fake.slash(
                guild.id,
                ALICE,
                "tag",
                subcommand="create",
                options={"name": "ping", "content": "pong"},
            )
            assert reply.content == "Tag **ping** created."
            proc.send_signal(signal.SIGTERM)
            code, stderr = await finish(proc)
        finally:
            await kill(proc)
    assert_clean_stop(code, stderr)


async def test_run_stops_cleanly_on_sigint_right_after_login(
    tmp_path: Path, tenancy: Tenancy, database: ServerAddress
) -> None:
    """Ctrl-C while the bot is still starting up (before on_ready) is a clean exit 0 too."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    fake.add_guild(name="Run Guild")
    async with fake:
        proc = await start_guildhall(serving_env(fake, database), tmp_path)
        try:
            await fake.wait_for_ready(timeout_s=START_TIMEOUT_S)
            proc.send_signal(signal.SIGINT)
            code, stderr = await finish(proc)
        finally:
            await kill(proc)
    assert_clean_stop(code, stderr)


def serving_env(fake: FakeDiscord, database: ServerAddress) -> dict[str, str]:
    """A child environment that logs in to the fake and uses the test database."""
    return guildhall_env(
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE=fake.api_base,
        DATABASE_URL=database.dsn,
        LOG_LEVEL="INFO",
        HEALTH_PORT="0",  # 8080 may be taken (another run, another service)
    )


async def kill(proc: asyncio.subprocess.Process) -> None:
    """Make sure a failed test leaves no child behind."""
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


def assert_clean_stop(code: int, stderr: str) -> None:
    """Exit 0 after closing the gateway, the tenancy and the HTTP session, with no noise."""
    assert code == 0, stderr
    assert "stop signal received" in stderr
    assert stderr.rstrip().endswith("stopped cleanly")
    for trouble in ("Traceback", "Unclosed", "ERROR"):
        assert trouble not in stderr, stderr


async def test_run_stops_cleanly_on_sigint_during_the_ready_reconcile(
    tmp_path: Path, tenancy: Tenancy, database: ServerAddress
) -> None:
    """Ctrl-C while on_ready provisions the guild (held on its lock, as a slow server would):
    still a clean exit 0, no ERROR. The timing the flaky SIGINT test sometimes hit."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    guild = fake.add_guild(name="Run Guild")
    blocker = await asyncpg.connect(database.dsn)
    try:
        async with blocker.transaction(), fake:
            await blocker.execute("SELECT pg_advisory_xact_lock($1)", guild_lock_key(guild.id))
            proc = await start_guildhall(serving_env(fake, database), tmp_path)
            try:
                await eventually(lambda: _waits_on_a_lock(database), timeout_s=START_TIMEOUT_S)
                proc.send_signal(signal.SIGINT)
                code, stderr = await finish(proc)
            finally:
                await kill(proc)
    finally:
        await blocker.close()
    assert_clean_stop(code, stderr)


async def _waits_on_a_lock(database: ServerAddress) -> bool:
    """Whether a backend of this database waits on an advisory lock (provisioning's). Asked
    on a connection of its own: pg_stat_activity is a snapshot per transaction."""
    admin = await asyncpg.connect(database.dsn)
    try:
        return bool(
            await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event = 'advisory'"
            )
        )
    finally:
        await admin.close()
