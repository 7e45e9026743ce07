"""The database goes away mid-session under a real ``guildhall run`` process, and comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.models.tenant import Member
from app.tenancy import Tenancy, guild_db
from app.tenancy.connections.config import ServerAddress
from bench.fakediscord import FakeDiscord, FakeGuild
from tests.e2e.conftest import DiscordWatch
from tests.e2e.guildhall_process import (
    START_TIMEOUT_S,
    GuildhallProcess,
    assert_no_bot_errors,
    assert_stopped_cleanly,
    guildhall_env,
    guildhall_run,
)
from tests.e2e.pgproxy import PgProxy
from tests.e2e.world import ALICE, APP_OWNER, BOB, eventually, sql_rows, wait_provisioned
from tests.ports import reserved_port

pytestmark = pytest.mark.e2e

UNAVAILABLE = "The database is temporarily unavailable. Please try again in a moment."
UNAVAILABLE_FR = "La base de données est momentanément indisponible. Réessayez dans un instant."
ACKNOWLEDGED = [f"before-{n}" for n in range(5)]
#: How long a guild that joined during an outage may take to be set up once the server is back.
JOIN_RETRY_S = 8.0


@dataclass
class Session:
    """What the story drives: the fake Discord, guild A, the proxy, the child's /healthz."""

    fake: FakeDiscord
    guild: FakeGuild
    proxy: PgProxy
    health_url: str

    async def create_tag(self, name: str) -> str | None:
        """Alice's /tag create ``name`` (content: the name); returns what she reads."""
        reply = await self.fake.slash(
            self.guild.id,
            ALICE,
            "tag",
            subcommand="create",
            options={"name": name, "content": name},
        )
        assert reply.ephemeral
        return reply.content

    async def show_tag(self, name: str) -> tuple[str | None, bool]:
        """Bob's /tag show ``name``: the text and whether only he sees it."""
        reply = await self.fake.slash(
            self.guild.id, BOB, "tag", subcommand="show", options={"name": name}
        )
        return reply.content, reply.ephemeral

    async def health(self) -> tuple[int, dict[str, Any]]:
        """The child's ``GET /healthz``: status and body."""
        async with aiohttp.ClientSession() as http, http.get(self.health_url) as response:
            return response.status, await response.json()


async def bot_said(bot: GuildhallProcess, text: str) -> bool:
    """Whether the child has logged ``text`` (it handles events in its own time)."""
    return text in bot.output()


async def counted(guild_id: int, user_id: int, count: int) -> bool:
    """Whether the bot has counted exactly ``count`` of the user's messages in the guild."""
    async with guild_db(guild_id, require_active=False):
        member = await Member.get_or_none(user_id=user_id)
    return (member.message_count if member else 0) == count


@asynccontextmanager
async def guildhall_behind_a_proxy(
    database: ServerAddress, workdir: Path, watch: DiscordWatch
) -> AsyncIterator[tuple[Session, GuildhallProcess]]:
    """`guildhall run` in guild A of a fake Discord, on the test database through a PgProxy;
    ready and provisioned. On failure the child's output is printed (then it is killed)."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    guild = fake.add_guild(name="Guild A")
    watch.watch(fake)
    health_port = reserved_port()
    async with fake, PgProxy(database) as proxy:
        env = guildhall_env(
            DISCORD_TOKEN=fake.token,
            DISCORD_API_BASE=fake.api_base,
            DATABASE_URL=proxy.address.dsn,
            HEALTH_PORT=str(health_port),
            LOG_LEVEL="INFO",
        )
        async with guildhall_run(env, workdir) as bot:
            try:
                await fake.wait_for_ready(timeout_s=START_TIMEOUT_S)
                await wait_provisioned([guild.id], timeout_s=START_TIMEOUT_S)
                yield Session(fake, guild, proxy, f"http://127.0.0.1:{health_port}/healthz"), bot
            except BaseException:
                print(bot.output())  # the child's side of the story, for the failure report
                raise


async def test_database_outage_gets_a_clear_reply_and_the_bot_recovers_without_restart(
    tenancy: Tenancy, database: ServerAddress, tmp_path: Path, discord_watch: DiscordWatch
) -> None:
    """DB lost under `guildhall run`: clear replies, no acked write lost, recovery, clean stop."""
    async with guildhall_behind_a_proxy(database, tmp_path, discord_watch) as (session, bot):
        await serve_through_an_outage(session)
        code = await bot.stop()
    output = bot.output()
    assert_no_bot_errors(output)
    assert_stopped_cleanly(code, output)
    assert "/tag create: the database is unavailable" in output  # the operator is told too


async def test_guild_joining_during_an_outage_is_set_up_once_the_database_is_back(
    tenancy: Tenancy, database: ServerAddress, tmp_path: Path, discord_watch: DiscordWatch
) -> None:
    """A guild that adds the bot while the database is down is served once it is back."""
    async with guildhall_behind_a_proxy(database, tmp_path, discord_watch) as (session, bot):
        await session.proxy.cut()
        joined = await session.fake.join_guild(name="Guild D")
        await eventually(lambda: bot_said(bot, f"[guild {joined.id}] provisioning"))
        await session.proxy.restore()
        await wait_provisioned([joined.id], timeout_s=JOIN_RETRY_S)
        reply = await session.fake.slash(joined.id, ALICE, "tag", subcommand="list")
        assert reply.content == "This server has no tags yet. Create one with /tag create."
        code = await bot.stop()
    output = bot.output()
    assert_no_bot_errors(output)
    assert_stopped_cleanly(code, output)


async def serve_through_an_outage(s: Session) -> None:
    """The outage story itself, against the running process."""
    for name in ACKNOWLEDGED:
        assert await s.create_tag(name) == f"Tag **{name}** created."
    await s.fake.send_message(s.guild.id, None, BOB, "before the outage")
    await eventually(lambda: counted(s.guild.id, BOB, 1))
    assert (await s.health())[0] == 200

    await s.proxy.cut()
    assert await s.create_tag("during") == UNAVAILABLE
    assert await s.show_tag("before-0") == (UNAVAILABLE, True)
    french = await s.fake.slash(s.guild.id, BOB, "tag", subcommand="list", locale="fr")
    assert (french.content, french.ephemeral) == (UNAVAILABLE_FR, True)
    await s.fake.send_message(s.guild.id, None, BOB, "chatting on during the outage")
    status, body = await s.health()
    assert (status, body["status"], body["database"]["ok"]) == (503, "degraded", False)

    reconnections = s.proxy.accepted  # cannot grow while the proxy is cut
    await s.proxy.restore()
    # The very first command after the server is back works: no restart, no retry.
    assert await s.show_tag("before-0") == ("before-0", False)
    assert s.proxy.accepted > reconnections  # it went through a new connection
    assert await s.create_tag("during") == "Tag **during** created."
    assert [row["name"] for row in await sql_rows(s.guild.id, "tag", "name")] == [
        *ACKNOWLEDGED,
        "during",
    ]
    listed = await s.fake.slash(s.guild.id, BOB, "tag", subcommand="list")
    assert listed.content == "Tags (6): " + ", ".join(f"`{n}`" for n in [*ACKNOWLEDGED, "during"])
    assert (await s.health())[0] == 200

    # The shared registry is reachable again too: a guild that joins now is provisioned.
    joined = await s.fake.join_guild(name="Guild C")
    await wait_provisioned([joined.id])
    fresh = await s.fake.slash(joined.id, ALICE, "tag", subcommand="list")
    assert fresh.content == "This server has no tags yet. Create one with /tag create."
    # Chat is counted again; the message sent during the outage was not.
    await s.fake.send_message(s.guild.id, None, BOB, "after the outage")
    await eventually(lambda: counted(s.guild.id, BOB, 2))
