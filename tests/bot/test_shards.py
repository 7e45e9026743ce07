"""A sharded bot: each shard's READY reconciles that shard's guilds, and only on a new
IDENTIFY; /healthz and the logs know the shards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from app.bot import GuildhallBot
from app.log import GuildIdFilter
from app.models.shared import TenantStatus
from app.tenancy import Tenancy
from bench.fakediscord import FakeDiscord, collect_bot_errors, guild_id_on_shard, running_bot
from bench.fakediscord.gateway import OP_INVALID_SESSION
from tests.bot.conftest import ALICE, APP_OWNER, eventually, make_bot, tenant_of
from tests.e2e.world import has_status, wait_provisioned

pytestmark = pytest.mark.e2e

NO_TAGS = "This server has no tags yet. Create one with /tag create."


async def status_of(guild_id: int) -> TenantStatus | None:
    """The guild's registry status (None: not registered)."""
    tenant = await tenant_of(guild_id)
    return None if tenant is None else TenantStatus(tenant.status)


@asynccontextmanager
async def sharded_bot(
    tenancy: Tenancy, fake: FakeDiscord, shard_ids: list[int], *, configured: bool = True
) -> AsyncIterator[GuildhallBot]:
    """A GuildhallBot on ``shard_ids`` of 2 (or, not ``configured``, on what ``fake``
    recommends), connected to ``fake``, free of errors."""
    shards = {"shard_count": 2, "shard_ids": shard_ids} if configured else {}
    bot = make_bot(tenancy, **shards)

    async def identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
        """disnake waits 5 s before each IDENTIFY but the first (Discord's rate limit; see
        docs/library-behaviour.md, "disnake: sharded READY and the guild cache")."""

    bot.before_identify_hook = identify_at_once  # type: ignore[method-assign]
    async with fake:
        with collect_bot_errors("app") as errors:
            async with running_bot(fake, bot):
                await fake.wait_for_shards(shard_ids)
                yield bot
        errors.assert_clean()
    fake.assert_clean()


async def test_a_process_reconciles_only_the_guilds_of_its_shards(tenancy: Tenancy) -> None:
    """Shard 1 of 2: its guild is provisioned, its absent guild marked left; shard 0 untouched."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    mine = fake.add_guild(guild_id_on_shard(1, 2), name="Mine")
    theirs = fake.add_guild(guild_id_on_shard(0, 2), name="Theirs")
    gone_mine, gone_theirs = guild_id_on_shard(1, 2), guild_id_on_shard(0, 2)
    for guild_id in (gone_mine, gone_theirs):
        await tenancy.provision(guild_id, "removed the bot while it was offline")

    async with sharded_bot(tenancy, fake, [1]) as bot:
        await wait_provisioned([mine.id])
        await eventually(lambda: has_status(gone_mine, TenantStatus.LEFT))
        assert [g.id for g in bot.guilds] == [mine.id]
        identify = next(p["d"] for p in fake.gateway.received if p.get("op") == 2)
        assert identify["shard"] == [1, 2]
        reply = await fake.slash(mine.id, ALICE, "tag", subcommand="list")
        assert reply.content == NO_TAGS

    assert await status_of(theirs.id) is None  # another process's guild: not provisioned
    assert await status_of(gone_theirs) is TenantStatus.ACTIVE  # nor marked left


async def test_without_shard_settings_the_bot_runs_every_shard_discord_recommends(
    tenancy: Tenancy,
) -> None:
    """No SHARD_COUNT: GET /gateway/bot recommends 2, so one process identifies shards 0, 1."""
    fake = FakeDiscord(owner_ids=[APP_OWNER], recommended_shards=2)
    guilds = [fake.add_guild(guild_id_on_shard(s, 2), name=f"Shard {s}") for s in (0, 1)]
    async with sharded_bot(tenancy, fake, [0, 1], configured=False) as bot:
        await wait_provisioned([g.id for g in guilds])
        assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
        identified = sorted(p["d"]["shard"] for p in fake.gateway.received if p.get("op") == 2)
        assert identified == [[0, 2], [1, 2]]


async def test_a_resume_marks_nothing_and_a_new_identify_reconciles_that_shard(
    tenancy: Tenancy,
) -> None:
    """RESUME: the absent guild stays active; INVALID_SESSION → IDENTIFY → READY: marked left."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    kept = fake.add_guild(guild_id_on_shard(0, 2), name="Kept")
    dropped = fake.add_guild(guild_id_on_shard(0, 2), name="Dropped")
    other = fake.add_guild(guild_id_on_shard(1, 2), name="Other shard")
    async with sharded_bot(tenancy, fake, [0, 1]) as bot:
        await wait_provisioned([kept.id, dropped.id, other.id])
        absent0, absent1 = guild_id_on_shard(0, 2), guild_id_on_shard(1, 2)
        for guild_id in (absent0, absent1):
            await tenancy.provision(guild_id, "absent")

        resumes = fake.gateway.resume_count
        await fake.gateway.shard_connections[0].ws.close(code=4000)  # resumable
        await fake.wait_for(lambda: fake.gateway.resume_count > resumes, "shard 0 to resume")
        await fake.wait_for_shards([0])
        # The bot handled events after the RESUME: anything it would mark is marked by now.
        assert (await fake.slash(kept.id, ALICE, "tag", subcommand="list")).content == NO_TAGS
        assert await status_of(absent0) is TenantStatus.ACTIVE

        # Discord forgets the bot was in "Dropped" (its GUILD_DELETE is never delivered), and
        # then invalidates shard 0's session: the next READY no longer lists the guild.
        dropped.joined = False
        identifies = fake.gateway.identify_count
        await fake.gateway.shard_connections[0].send({"op": OP_INVALID_SESSION, "d": False})
        await fake.wait_for(lambda: fake.gateway.identify_count > identifies, "a new IDENTIFY")
        await eventually(lambda: has_status(absent0, TenantStatus.LEFT))
        await eventually(lambda: has_status(dropped.id, TenantStatus.LEFT))
        assert await status_of(kept.id) is TenantStatus.ACTIVE
        assert await status_of(absent1) is TenantStatus.ACTIVE  # shard 1 did not re-identify
        assert bot.is_ready()


async def test_health_reports_each_shard_and_logs_carry_the_shard(
    tenancy: Tenancy, caplog: pytest.LogCaptureFixture
) -> None:
    """gateway_status lists shards 0 and 1 (state, latency, guilds); a join logs its shard."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    fake.add_guild(guild_id_on_shard(0, 2), name="Zero")
    async with sharded_bot(tenancy, fake, [0, 1]) as bot:
        status = bot.gateway_status()
        assert status["ok"] and status["shard_count"] == 2
        assert set(status["shards"]) == {"0", "1"}
        assert [status["shards"][s]["guilds"] for s in ("0", "1")] == [1, 0]
        for shard in status["shards"].values():
            assert shard["state"] == "connected"
            assert isinstance(shard["latency_ms"], float)

        caplog.handler.addFilter(GuildIdFilter())
        caplog.set_level(logging.INFO, logger="app.bot")
        joined_id = guild_id_on_shard(1, 2)
        joined = asyncio.ensure_future(
            bot.wait_for("tenant_joined", check=lambda gid: gid == joined_id, timeout=10)
        )
        await fake.join_guild(joined_id, name="One")
        await joined
        assert bot.gateway_status()["shards"]["1"]["guilds"] == 1

    record = next(r for r in caplog.records if r.getMessage().startswith("joined guild 'One'"))
    assert (record.shard_id, record.guild_id) == (1, joined_id)  # type: ignore[attr-defined]
