"""Self-tests for the fake Discord: an unmodified disnake InteractionBot talks to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import disnake
import pytest
from disnake.ext import commands

from bench.fakediscord import (
    ADMINISTRATOR,
    MANAGE_MESSAGES,
    BotErrorCollector,
    FakeDiscord,
    FakeDiscordError,
    FakeGuild,
    collect_bot_errors,
    running_bot,
)
from tests.e2e.fake_selftest_bot import Recorder, make_bot

pytestmark = pytest.mark.e2e

OWNER_ID = 500_000_000_000_000_001
ALICE = 600_000_000_000_000_001
BOB = 600_000_000_000_000_002
DEFAULT_ROUTE_BASE = disnake.http.Route.BASE


@dataclass
class Harness:
    fake: FakeDiscord
    bot: commands.InteractionBot
    rec: Recorder
    errors: BotErrorCollector
    guilds: list[FakeGuild] = field(default_factory=list)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    fake = FakeDiscord(owner_ids=[OWNER_ID])
    guilds = [fake.add_guild(name="Alpha"), fake.add_guild(name="Beta", locale="de")]
    rec = Recorder()
    async with fake:
        with collect_bot_errors() as errors:
            async with running_bot(fake, make_bot(rec)) as bot:
                assert fake.api_base == disnake.http.Route.BASE
                yield Harness(fake, bot, rec, errors, guilds)
        errors.assert_clean()
        fake.assert_clean()
    assert disnake.http.Route.BASE == DEFAULT_ROUTE_BASE


async def test_login_sync_and_startup_guilds(harness: Harness) -> None:
    fake, bot = harness.fake, harness.bot
    puts = fake.requests_for("PUT /applications/{app_id}/commands")
    assert len(puts) == 1
    assert {c["name"] for c in puts[0].body} == {"ping", "say", "modonly"}
    assert fake.command("ping") is not None
    assert bot.user.id == fake.bot_user.id
    assert bot.application_id == fake.app_id
    available = await harness.rec.wait("guild_available", 2)
    assert {g.name for (g,) in available} == {"Alpha", "Beta"}
    assert harness.rec.events["ready"]
    beta = bot.get_guild(harness.guilds[1].id)
    assert beta is not None
    assert beta.preferred_locale is disnake.Locale.de
    assert beta.me.guild_permissions.administrator
    channel = beta.get_channel(harness.guilds[1].channel_id)
    assert channel is not None
    assert channel.name == "general"
    assert await bot.is_owner(disnake.Object(OWNER_ID))  # type: ignore[arg-type]


async def test_join_and_remove_guild(harness: Harness) -> None:
    fake, bot, rec = harness.fake, harness.bot, harness.rec
    joined = await fake.join_guild(name="Gamma")
    (guild,) = (await rec.wait("guild_join"))[0]
    assert guild.id == joined.id
    assert guild.name == "Gamma"
    assert bot.get_guild(joined.id) is not None
    await fake.remove_guild(joined.id)
    (removed,) = (await rec.wait("guild_remove"))[0]
    assert removed.id == joined.id
    assert bot.get_guild(joined.id) is None
    with pytest.raises(FakeDiscordError, match="not in guild"):
        await fake.slash(joined.id, ALICE, "ping", subcommand="pong")


async def test_slash_reply_with_user_option_and_ephemeral_flag(harness: Harness) -> None:
    fake = harness.fake
    alpha, beta = harness.guilds
    fake.add_member(alpha.id, BOB, name="bob")
    reply = await fake.slash(alpha.id, ALICE, "ping", subcommand="pong", options={"target": BOB})
    assert reply.content == f"pong <@{BOB}> (en-US, en-US)"
    assert not reply.ephemeral
    assert reply.callback_type == 4
    secret = await fake.slash(
        beta.id, ALICE, "ping", subcommand="pong", options={"secret": True}, locale="fr"
    )
    assert secret.content == "pong (fr, de)"
    assert secret.ephemeral


async def test_deferred_reply_followup_and_edit(harness: Harness) -> None:
    fake, guild = harness.fake, harness.guilds[0]
    slow = await fake.slash(guild.id, ALICE, "ping", subcommand="slow")
    assert slow.deferred
    assert slow.content == "done slowly"
    assert slow.ephemeral  # the first followup inherits the deferral's flags
    edited = await fake.slash(guild.id, ALICE, "ping", subcommand="edit")
    assert edited.deferred
    assert edited.content == "edited"
    assert edited.embed is not None
    assert edited.embed["title"] == "T"
    assert not edited.ephemeral


async def test_autocomplete_returns_choices(harness: Harness) -> None:
    fake, guild = harness.fake, harness.guilds[0]
    choices = await fake.autocomplete(
        guild.id, ALICE, "ping", subcommand="fruit", options={"name": "ap"}
    )
    assert [c["value"] for c in choices] == ["apple", "apricot"]
    reply = await fake.slash(guild.id, ALICE, "ping", subcommand="fruit", options={"name": "kiwi"})
    assert reply.content == "you picked kiwi"


async def test_permissions(harness: Harness) -> None:
    fake, guild = harness.fake, harness.guilds[0]
    denied = await fake.slash(guild.id, ALICE, "ping", subcommand="purge")
    assert denied.content == "denied: MissingPermissions"
    assert denied.ephemeral
    allowed = await fake.slash(
        guild.id, ALICE, "ping", subcommand="purge", permissions=MANAGE_MESSAGES
    )
    assert allowed.content == "purged"
    admin = await fake.slash(guild.id, ALICE, "ping", subcommand="purge", permissions=ADMINISTRATOR)
    assert admin.content == "purged"
    with pytest.raises(FakeDiscordError, match="default_member_permissions"):
        await fake.slash(guild.id, ALICE, "modonly")
    assert (await fake.slash(guild.id, OWNER_ID, "modonly")).content == "hi mod"


async def test_messages_reach_on_message_and_bot_sends(harness: Harness) -> None:
    fake, rec, guild = harness.fake, harness.rec, harness.guilds[0]
    await fake.send_message(guild.id, None, ALICE, "hello there")
    (message,) = await rec.wait("message")
    assert message.author.id == ALICE
    assert message.guild.id == guild.id
    assert isinstance(message.author, disnake.Member)
    assert message.content == ""  # no MESSAGE_CONTENT intent, like real Discord
    await fake.send_message(guild.id, None, ALICE, f"<@{fake.bot_user.id}> hi")
    mentioned = (await rec.wait("message", 2))[1]
    assert mentioned.content == f"<@{fake.bot_user.id}> hi"

    reply = await fake.slash(guild.id, ALICE, "say", options={"text": "hello channel"})
    assert reply.ephemeral
    sent = await fake.wait_for_bot_message(guild.channel_id)
    assert sent["content"] == "hello channel"
    echoed = (await rec.wait("message", 3))[2]  # the bot also sees its own message
    assert echoed.author.id == fake.bot_user.id


async def test_button_click_modal_and_submit(harness: Harness) -> None:
    fake, guild = harness.fake, harness.guilds[0]
    ui = await fake.slash(guild.id, ALICE, "ping", subcommand="ui")
    assert ui.message is not None
    clicked = await fake.click(guild.id, ALICE, ui.message, "go")
    assert clicked.modal is not None
    assert clicked.modal["custom_id"] == "tell"
    submitted = await fake.submit_modal(guild.id, ALICE, "tell", {"what": "42"})
    assert submitted.content == "you said 42"


async def test_option_validation_and_unknown_commands(harness: Harness) -> None:
    fake, guild = harness.fake, harness.guilds[0]
    with pytest.raises(FakeDiscordError, match="needs a subcommand"):
        await fake.slash(guild.id, ALICE, "ping")
    with pytest.raises(FakeDiscordError, match="unknown option"):
        await fake.slash(guild.id, ALICE, "ping", subcommand="pong", options={"nope": 1})
    with pytest.raises(FakeDiscordError, match="missing required"):
        await fake.slash(guild.id, ALICE, "ping", subcommand="fruit")
    with pytest.raises(FakeDiscordError, match="never registered"):
        await fake.slash(guild.id, ALICE, "nothing", timeout_s=0.05)


async def test_resume_after_reconnect(harness: Harness) -> None:
    fake, guild = harness.fake, harness.guilds[0]
    await fake.request_reconnect()
    assert fake.gateway.resume_count == 1
    await fake.request_reconnect(close_code=4000)
    assert fake.gateway.resume_count == 2
    assert fake.gateway.identify_count == 1
    reply = await fake.slash(guild.id, ALICE, "ping", subcommand="pong")
    assert reply.content == "pong (en-US, en-US)"


async def test_malformed_event_is_reported(harness: Harness) -> None:
    fake = harness.fake
    broken = fake.guilds[harness.guilds[0].id].payload()
    broken["id"] = "123"
    broken["roles"][0].pop("colors")  # what older fakes forgot: disnake 2.12 requires it
    await fake.dispatch_event("GUILD_CREATE", broken)
    await fake.slash(harness.guilds[0].id, ALICE, "ping", subcommand="pong")  # a round trip
    assert any("colors" in e for e in harness.errors.errors), harness.errors.errors
    harness.errors.errors.clear()


async def test_unknown_routes_and_raw_responses() -> None:
    async with FakeDiscord() as fake:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{fake.api_base}/gateway") as resp,
        ):
            # exactly this, or disnake treats the body as text and login breaks
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["url"] == fake.gateway_url
        with fake.patched_route_base():
            bot = commands.InteractionBot()
            try:
                await bot.login(fake.token)
                with pytest.raises(disnake.NotFound):
                    await bot.http.request(disnake.http.Route("GET", "/nope/{x}", x=1))
                with pytest.raises(disnake.NotFound):
                    await bot.fetch_channel(123)
            finally:
                await bot.close()
        assert [r.path for r in fake.unknown_requests] == ["/nope/1"]
        assert [r.status for r in fake.failed_requests] == [404, 404]
    assert disnake.http.Route.BASE == DEFAULT_ROUTE_BASE


async def test_bad_token_fails_fast() -> None:
    async with FakeDiscord(token="right") as fake:
        bot = commands.InteractionBot(guild_ready_timeout=0.05)
        with pytest.raises(disnake.LoginFailure):
            async with running_bot(fake, bot, token="wrong"):
                pass
        assert [r.status for r in fake.failed_requests] == [401]


async def test_guild_scoped_commands_keep_their_ids() -> None:
    fake = FakeDiscord()
    guild = fake.add_guild()
    bot = commands.InteractionBot(test_guilds=[guild.id], guild_ready_timeout=0.05)

    @bot.slash_command(description="Guild-only hello")
    async def hello(inter: disnake.GuildCommandInteraction) -> None:
        await inter.response.send_message(f"hello from {inter.guild.name}")

    async with fake, running_bot(fake, bot):
        with collect_bot_errors() as errors:
            reply = await fake.slash(guild.id, ALICE, "hello")
        assert reply.content == "hello from Test Guild"
        errors.assert_clean()
    route = "PUT /applications/{app_id}/guilds/{guild_id}/commands"
    assert [len(r.body) for r in fake.requests_for(route)] == [1]  # no wipe after the call
    assert fake.registered_commands.get(None, []) == []
    fake.assert_clean()
