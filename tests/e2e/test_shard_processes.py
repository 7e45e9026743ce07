"""Two real `guildhall run` processes on disjoint shard ranges over one database."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.models.shared import TenantStatus
from app.tenancy import ServerAddress, Tenancy
from bench.fakediscord import FakeDiscord, FakeGuild, guild_id_on_shard
from tests.e2e.conftest import DiscordWatch
from tests.e2e.guildhall_process import (
    START_TIMEOUT_S,
    GuildhallProcess,
    assert_no_bot_errors,
    assert_stopped_cleanly,
    guildhall_env,
    guildhall_run,
)
from tests.e2e.world import ALICE, APP_OWNER, eventually, has_status, wait_provisioned
from tests.ports import reserved_port

pytestmark = pytest.mark.e2e

#: The most a status change may take to reach every process once the CLI has committed it.
WITHIN_S = 1.0
DISABLED = (
    "Guildhall is disabled in this server (reason: {}). Nothing was changed, and your data is kept."
)
NO_TAGS = "This server has no tags yet. Create one with /tag create."


class Shard:
    """One `guildhall run` serving one shard of two, and its /healthz."""

    def __init__(self, shard_id: int, database: ServerAddress) -> None:
        self.shard_id = shard_id
        self.database = database
        self.health_port = reserved_port()
        self.outputs: list[str] = []

    async def health(self) -> dict[str, Any]:
        """The process's ``GET /healthz`` body."""
        url = f"http://127.0.0.1:{self.health_port}/healthz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body: dict[str, Any] = await response.json()
            return body

    @asynccontextmanager
    async def running(self, fake: FakeDiscord, workdir: Path) -> AsyncIterator[GuildhallProcess]:
        """The process, connected to its shard; stopped (and checked) at the end."""
        env = guildhall_env(
            DISCORD_TOKEN=fake.token,
            DISCORD_API_BASE=fake.api_base,
            DATABASE_URL=self.database.dsn,
            HEALTH_PORT=str(self.health_port),
            SHARD_COUNT="2",
            SHARD_IDS=str(self.shard_id),
            PROCESS_COUNT="2",
            TENANT_CACHE_SIZE="4",
            LOG_LEVEL="INFO",
        )
        await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
        async with guildhall_run(env, workdir) as process:
            try:
                await fake.wait_for_shards([self.shard_id], timeout_s=START_TIMEOUT_S)
                yield process
                code = await process.stop()
            except BaseException:
                print(process.output())  # the child's side of the story, for the report
                raise
            output = process.output()
            self.outputs.append(output)
            assert_no_bot_errors(output)
            assert_stopped_cleanly(code, output)


async def guildhall_cli(database: ServerAddress, *args: str) -> None:
    """``guildhall ARGS`` as an operator would run it beside the bots; must exit 0."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        *args,
        env=guildhall_env(DATABASE_URL=database.dsn),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT_S)
    assert process.returncode == 0, (out, err)


async def within(seconds: float, probe: Callable[[], Awaitable[bool]]) -> float:
    """How long ``probe`` took to hold (polled); fails past ``seconds``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    await eventually(probe, seconds)
    return loop.time() - started


async def test_two_processes_serve_their_own_shards_and_hear_each_other(
    tenancy: Tenancy, database: ServerAddress, tmp_path: Path, discord_watch: DiscordWatch
) -> None:
    """Shards 0, 1 in two processes: own guilds, CLI disable heard by both, left at restart."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    discord_watch.watch(fake)
    g0 = [fake.add_guild(guild_id_on_shard(0, 2), name=f"Zero {n}") for n in "ab"]
    g1 = [fake.add_guild(guild_id_on_shard(1, 2), name=f"One {n}") for n in "ab"]
    zero, one = Shard(0, database), Shard(1, database)
    async with fake, AsyncExitStack() as stack:
        await stack.enter_async_context(one.running(fake, tmp_path / "one"))
        async with zero.running(fake, tmp_path / "zero"):
            await wait_provisioned([g.id for g in g0 + g1], timeout_s=START_TIMEOUT_S)
            await each_serves_its_own_guilds(fake, zero, one, g0, g1)
            await cli_disable_reaches_both(fake, database, zero, one, g0[0], g1[0])
        # Shard 0's process is down: the bot is removed from a guild meanwhile.
        fake.remove_guild_offline(g0[1].id)
        assert await has_status(g0[1].id, TenantStatus.ACTIVE)
        async with zero.running(fake, tmp_path / "zero-again"):
            await eventually(lambda: has_status(g0[1].id, TenantStatus.LEFT), START_TIMEOUT_S)
            for guild in g1:  # shard 1: untouched
                assert await has_status(guild.id, TenantStatus.ACTIVE)
            assert await has_status(g0[0].id, TenantStatus.DISABLED)
    # Each process provisioned its own two guilds (the other two are the other's) ...
    assert "on shards 0 of 2 in 2 guilds (2 provisioned" in zero.outputs[0]
    assert "on shards 1 of 2 in 2 guilds (2 provisioned" in one.outputs[0]
    # ... and at its restart shard 0's process marked the one it was removed from.
    assert (
        "on shards 0 of 2 in 1 guilds (0 provisioned, 0 reactivated, 1 marked left"
        in zero.outputs[1]
    )


async def each_serves_its_own_guilds(
    fake: FakeDiscord, zero: Shard, one: Shard, g0: list[FakeGuild], g1: list[FakeGuild]
) -> None:
    """Each process provisioned and serves only its shard's guilds."""
    for shard, guilds in ((zero, g0), (one, g1)):
        gateway = (await shard.health())["gateway"]
        assert gateway["ok"] and gateway["shard_count"] == 2
        assert list(gateway["shards"]) == [str(shard.shard_id)]
        assert gateway["shards"][str(shard.shard_id)]["guilds"] == len(guilds)
        for guild in guilds:
            reply = await fake.slash(guild.id, ALICE, "tag", subcommand="list")
            assert reply.content == NO_TAGS


async def cli_disable_reaches_both(
    fake: FakeDiscord,
    database: ServerAddress,
    zero: Shard,
    one: Shard,
    guild0: FakeGuild,
    guild1: FakeGuild,
) -> None:
    """`guildhall tenants disable` of a shard-0 guild: within a second shard 0's process
    refuses it and shard 1's process (which inspected it) has dropped its pinned client."""

    # The owner, in a shard-1 guild, inspects the shard-0 guild a few times: process one pins
    # a client for it (guilds used at least three times are pinned, in the background).
    async def pinned_by_one() -> bool:
        status = await fake.slash(
            guild1.id,
            APP_OWNER,
            "tenant",
            subcommand="status",
            options={"guild_id": str(guild0.id)},
        )
        assert str(guild0.id) in (status.content or "")
        return bool((await one.health())["cache"]["pinned_clients"])

    await eventually(pinned_by_one, START_TIMEOUT_S)
    before = (await one.health())["cache"]

    await guildhall_cli(database, "tenants", "disable", str(guild0.id), "--reason", "cli")

    async def refused_by_zero() -> bool:
        reply = await fake.slash(guild0.id, ALICE, "tag", subcommand="list")
        return reply.content == DISABLED.format("cli")

    async def evicted_by_one() -> bool:
        return (await one.health())["cache"]["evictions"] > before["evictions"]

    took = await asyncio.gather(within(WITHIN_S, refused_by_zero), within(WITHIN_S, evicted_by_one))
    assert max(took) < WITHIN_S
