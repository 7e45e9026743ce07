"""The guard every story runs under: trouble between the bot and Discord fails the story."""

from __future__ import annotations

import disnake
import pytest

from bench.fakediscord import FakeGuild
from tests.e2e.conftest import DiscordWatch
from tests.e2e.world import ALICE, World

pytestmark = pytest.mark.e2e


async def test_unknown_route_or_swallowed_bot_error_fails_the_story(
    world: World, guild_a: FakeGuild
) -> None:
    """An unknown REST route or a gateway event the bot chokes on fails the story (the watch)."""
    watch = DiscordWatch()
    watch.watch(world.fake, world.errors)
    watch.assert_clean()

    with pytest.raises(disnake.NotFound):
        await world.bot.http.request(disnake.http.Route("GET", "/nope/{x}", x=1))
    with pytest.raises(AssertionError, match="/nope/1"):
        watch.assert_clean()
    world.fake.unknown_requests.clear()
    world.fake.failed_requests.clear()

    broken = guild_a.payload()
    broken["roles"][0].pop("colors")  # disnake 2.12 cannot parse a role without it
    await world.fake.dispatch_event("GUILD_CREATE", broken)
    await world.slash(guild_a, ALICE, "tag", "list")  # a round trip: the event was handled
    with pytest.raises(AssertionError, match="colors"):
        watch.assert_clean()
    world.errors.errors.clear()  # provoked on purpose; the story's own watch stays clean
