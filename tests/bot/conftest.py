"""The bot under test: a GuildhallBot on the session tenancy, logged in to a fake Discord.

One bot per test module (``world``); every test joins guilds of its own so that no test sees
another's rows. Bot errors (disnake's swallowed exceptions and ERROR logs of ``app``) fail the
test that caused them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from app.bot import GuildhallBot
from app.models.shared import Tenant
from app.settings import Settings
from app.tenancy import Tenancy, guild_db
from tests.e2e.fakediscord import (
    BotErrorCollector,
    FakeDiscord,
    FakeGuild,
    Reply,
    collect_bot_errors,
    running_bot,
)
from tests.e2e.fakediscord.models import new_snowflake

T = TypeVar("T")

#: The application's owner, as Discord reports it.
APP_OWNER = 500_000_000_000_000_001
#: An owner only through OWNER_IDS.
EXTRA_OWNER = 500_000_000_000_000_002
ALICE = 600_000_000_000_000_001
BOB = 600_000_000_000_000_002
MOD = 600_000_000_000_000_003


def make_settings(**overrides: Any) -> Settings:
    """Settings that ignore the developer's .env and environment-specific knobs."""
    values: dict[str, Any] = {"owner_ids": frozenset({EXTRA_OWNER}), **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def make_bot(tenancy: Tenancy, **settings: Any) -> GuildhallBot:
    """A GuildhallBot on the given tenancy, quick to become ready."""
    return GuildhallBot(make_settings(**settings), tenancy, guild_ready_timeout=0.05)


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout_s: float = 15.0) -> T:
    """Poll ``probe`` until it returns something truthy (the bot works in its own tasks)."""
    async with asyncio.timeout(timeout_s):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.01)


async def tenant_of(guild_id: int) -> Tenant | None:
    """The guild's registry row, or None."""
    return await Tenant.get_or_none(guild_id=guild_id)


@dataclass
class World:
    """A running bot, its fake Discord, and the tenancy core behind it."""

    fake: FakeDiscord
    bot: GuildhallBot
    tenancy: Tenancy
    errors: BotErrorCollector

    async def new_guild(self, name: str = "Test Guild") -> FakeGuild:
        """Add the bot to a fresh guild and wait until the bot has provisioned it."""
        return await self.join(new_snowflake(), name=name)

    async def join(self, guild_id: int, name: str = "Test Guild") -> FakeGuild:
        """Add the bot to a guild (GUILD_CREATE) and wait until it handled the join."""
        # Waiting for the bot's own event, not for a registry row: the row exists before
        # the join is fully recorded, and a test acting in between would race with it.
        joined = self._expect("tenant_joined", guild_id)
        guild = await self.fake.join_guild(guild_id, name=name)
        await joined
        return guild

    async def remove(self, guild_id: int) -> None:
        """Remove the bot from a guild (GUILD_DELETE) and wait until it handled the removal."""
        left = self._expect("tenant_left", guild_id)
        await self.fake.remove_guild(guild_id)
        await left

    def _expect(self, event: str, guild_id: int) -> asyncio.Future[Any]:
        waiter: asyncio.Future[Any] = asyncio.ensure_future(
            self.bot.wait_for(event, check=lambda gid: gid == guild_id, timeout=15)
        )
        return waiter

    async def slash(
        self,
        guild: FakeGuild | int,
        user_id: int,
        command: str,
        sub: str | None = None,
        **kwargs: Any,
    ) -> Reply:
        """Run ``/command sub`` as ``user_id`` in ``guild``; kwargs go to ``fake.slash``."""
        guild_id = guild if isinstance(guild, int) else guild.id
        return await self.fake.slash(guild_id, user_id, command, subcommand=sub, **kwargs)

    async def rows(self, guild: FakeGuild | int, query: Callable[[], Awaitable[T]]) -> T:
        """Run ``query`` bound to the guild's schema (disabled guilds too), for assertions."""
        guild_id = guild if isinstance(guild, int) else guild.id
        async with guild_db(guild_id, require_active=False):
            return await query()


@pytest.fixture(scope="module")
async def running_world(tenancy: Tenancy) -> AsyncIterator[World]:
    """One bot and fake Discord for the whole test module."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    bot = make_bot(tenancy)
    async with fake:
        with collect_bot_errors("app") as errors:
            async with running_bot(fake, bot):
                yield World(fake, bot, tenancy, errors)
    fake.assert_clean()


@pytest.fixture
async def world(running_world: World) -> AsyncIterator[World]:
    """The module's bot; the test fails if the bot reported an error while it ran."""
    running_world.errors.errors.clear()
    yield running_world
    reported = list(running_world.errors.errors)
    running_world.errors.errors.clear()
    assert not reported, "the bot reported errors:\n" + "\n---\n".join(reported)


@pytest.fixture
async def guild(world: World) -> FakeGuild:
    """A fresh guild the bot joined and provisioned."""
    return await world.new_guild()
