"""The bot under test: a GuildhallBot on the session tenancy, logged in to a fake Discord.

One bot per test module (``world``); every test joins guilds of its own so that no test sees
another's rows. Bot errors (disnake's swallowed exceptions and ERROR logs of ``app``) fail the
test that caused them. The world itself lives in :mod:`tests.e2e.world`, shared with the
end-to-end stories; its names are re-exported here for the command tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.tenancy import Tenancy
from bench.fakediscord import FakeGuild
from tests.e2e.world import (
    ALICE,
    APP_OWNER,
    BOB,
    EXTRA_OWNER,
    MOD,
    World,
    eventually,
    make_bot,
    make_settings,
    open_world,
    tenant_of,
)

__all__ = [
    "ALICE",
    "APP_OWNER",
    "BOB",
    "EXTRA_OWNER",
    "MOD",
    "World",
    "eventually",
    "make_bot",
    "make_settings",
    "tenant_of",
]


@pytest.fixture(scope="module")
async def running_world(tenancy: Tenancy) -> AsyncIterator[World]:
    """One bot and fake Discord for the whole test module."""
    async with open_world(tenancy) as world:
        yield world
    world.fake.assert_clean()


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
