"""A shard's READY arrives while the database is down: its reconcile waits for the database."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from app.models.shared import TenantStatus
from app.tenancy import ServerAddress, Tenancy
from bench.fakediscord import FakeDiscord
from tests.e2e.conftest import DiscordWatch
from tests.e2e.guildhall_process import (
    START_TIMEOUT_S,
    assert_no_bot_errors,
    assert_stopped_cleanly,
    guildhall_env,
    guildhall_run,
)
from tests.e2e.pgproxy import PgProxy
from tests.e2e.world import APP_OWNER, eventually, has_status, wait_provisioned
from tests.ports import reserved_port

pytestmark = pytest.mark.e2e


async def test_ready_during_an_outage_reconciles_once_the_database_is_back(
    tenancy: Tenancy,
    database: ServerAddress,
    tmp_path: Path,
    discord_watch: DiscordWatch,
    new_guild_id,
) -> None:
    """READY while the database is down: retried; the absent guild is marked left once back."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    discord_watch.watch(fake)
    here = fake.add_guild(name="Here")
    gone = next(new_guild_id)
    await tenancy.provision(gone, "removed the bot while it was offline")
    fake.hold_ready = asyncio.Event()
    async with fake, PgProxy(database) as proxy:
        env = guildhall_env(
            DISCORD_TOKEN=fake.token,
            DISCORD_API_BASE=fake.api_base,
            DATABASE_URL=proxy.address.dsn,
            HEALTH_PORT=str(reserved_port()),
            LOG_LEVEL="INFO",
            # Not under test: its first sweep would meet the outage too.
            TENANT_RETENTION_DAYS="0",
        )
        async with guildhall_run(env, tmp_path) as bot:
            try:
                await fake.wait_for(
                    lambda: fake.gateway.identify_count > 0, "IDENTIFY", START_TIMEOUT_S
                )
                await proxy.cut()
                fake.hold_ready.set()
                await eventually(lambda: _said(bot.output(), "reconciling shards 0"))
                assert await has_status(gone, TenantStatus.ACTIVE)
                await proxy.restore()
                await eventually(lambda: has_status(gone, TenantStatus.LEFT))
                await wait_provisioned([here.id])
                code = await bot.stop()
            except BaseException:
                print(bot.output())
                raise
    output = bot.output()
    assert_no_bot_errors(output)
    assert_stopped_cleanly(code, output)
    assert "reconciling shards 0 with the registry failed: the database is unavailable" in output
    # Other stories' guilds share the database: more than ours may be marked left.
    assert re.search(
        r"ready as \S+ on shards 0 of 1 in 1 guilds \(1 provisioned, .* marked left", output
    )


async def _said(output: str, text: str) -> bool:
    return text in output
