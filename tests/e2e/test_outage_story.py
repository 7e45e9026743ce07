"""The database goes away mid-session under a real ``guildhall run`` process, and comes back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.models.tenant import Member
from app.tenancy import Tenancy, guild_db
from app.tenancy.config import ServerAddress
from tests.e2e.conftest import DiscordWatch
from tests.e2e.fakediscord import FakeDiscord, FakeGuild
from tests.e2e.guildhall_process import (
    START_TIMEOUT_S,
    assert_no_bot_errors,
    assert_stopped_cleanly,
    free_port,
    guildhall_env,
    guildhall_run,
)
from tests.e2e.pgproxy import PgProxy
from tests.e2e.world import ALICE, APP_OWNER, BOB, eventually, sql_rows, wait_provisioned

pytestmark = pytest.mark.e2e

UNAVAILABLE = "The database is temporarily unavailable. Please try again in a moment."
UNAVAILABLE_FR = "La base de données est momentanément indisponible. Réessayez dans un instant."
ACKNOWLEDGED = [f"before-{n}" for n in range(5)]


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


async def counted(guild_id: int, user_id: int, count: int) -> bool:
    """Whether the bot has counted exactly ``count`` of the user's messages in the guild."""
    async with guild_db(guild_id, require_active=False):
        member = await Member.get_or_none(user_id=user_id)
    return (member.message_count if member else 0) == count


async def test_database_outage_gets_a_clear_reply_and_the_bot_recovers_without_restart(
    tenancy: Tenancy, database: ServerAddress, tmp_path: Path, discord_watch: DiscordWatch
) -> None:
    """DB lost under `guildhall run`: clear replies, no acked write lost, recovery, clean stop."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    guild = fake.add_guild(name="Guild A")
    discord_watch.watch(fake)
    health_port = free_port()
    async with fake, PgProxy(database) as proxy:
        env = guildhall_env(
            DISCORD_TOKEN=fake.token,
            DISCORD_API_BASE=fake.api_base,
            DATABASE_URL=proxy.address.dsn,
            HEALTH_PORT=str(health_port),
            LOG_LEVEL="INFO",
        )
        async with guildhall_run(env, tmp_path) as bot:
            session = Session(fake, guild, proxy, f"http://127.0.0.1:{health_port}/healthz")
            try:
                await serve_through_an_outage(session)
                code = await bot.stop()
            except BaseException:
                print(bot.output())  # the child's side of the story, for the failure report
                raise
            output = bot.output()
    assert_no_bot_errors(output)
    assert_stopped_cleanly(code, output)
    assert "/tag create: the database is unavailable" in output  # the operator is told too


async def serve_through_an_outage(s: Session) -> None:
    """The story itself, against the running process."""
    await s.fake.wait_for_ready(timeout_s=START_TIMEOUT_S)
    await wait_provisioned([s.guild.id], timeout_s=START_TIMEOUT_S)
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
