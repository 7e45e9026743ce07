"""Fixtures of the end-to-end stories: a fresh bot and fake Discord per story, guilds A and B.

Every story starts from a GuildhallBot that connected to a fake Discord already holding two
guilds, "Guild A" and "Guild B", provisioned at start-up. Whatever fake Discord a story uses is
watched: a REST call to a route the fake does not know, a request it refused, or an error the
bot swallowed (disnake's "Ignoring exception…" reports, ERROR logs of ``app``) fails the story
at teardown (:class:`DiscordWatch`, autouse).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from app.tenancy import Tenancy
from bench.fakediscord import BotErrorCollector, FakeDiscord, FakeGuild
from tests.e2e.world import World, open_world


@dataclass
class DiscordWatch:
    """The fakes and bot error collectors a story used; all must be clean at its end."""

    fakes: list[FakeDiscord] = field(default_factory=list)
    collectors: list[BotErrorCollector] = field(default_factory=list)

    def watch(self, fake: FakeDiscord, errors: BotErrorCollector | None = None) -> None:
        """Check ``fake`` (and ``errors``, if given) when the story ends."""
        self.fakes.append(fake)
        if errors is not None:
            self.collectors.append(errors)

    def assert_clean(self) -> None:
        """No unknown route was called, no request refused, no bot error swallowed."""
        for fake in self.fakes:
            fake.assert_clean()
        for errors in self.collectors:
            errors.assert_clean()


@pytest.fixture(autouse=True)
def discord_watch() -> Iterator[DiscordWatch]:
    """Fail the story at teardown if any watched fake or bot saw trouble."""
    watch = DiscordWatch()
    yield watch
    watch.assert_clean()


@pytest.fixture
async def world(tenancy: Tenancy, discord_watch: DiscordWatch) -> AsyncIterator[World]:
    """A GuildhallBot logged in to a fake Discord in which it already is in guilds A and B."""
    async with open_world(tenancy, startup=("Guild A", "Guild B")) as world:
        discord_watch.watch(world.fake, world.errors)
        yield world


@pytest.fixture
def guild_a(world: World) -> FakeGuild:
    """Guild A, present when the bot connected, provisioned."""
    return world.startup[0]


@pytest.fixture
def guild_b(world: World) -> FakeGuild:
    """Guild B, present when the bot connected, provisioned."""
    return world.startup[1]
