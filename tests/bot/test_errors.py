"""The one error handler: unexpected failures and database outages become clear replies."""

from __future__ import annotations

import logging
from dataclasses import replace

import asyncpg
import pytest
from tortoise.exceptions import DBConnectionError, OperationalError

from app.cogs.tags import _store as tag_store
from app.log import GuildIdFilter
from app.tenancy.connections.outage import is_database_unavailable
from app.tenancy.errors import ClientCacheClosed
from bench.fakediscord import FakeGuild
from tests.bot.conftest import ALICE, World

pytestmark = pytest.mark.e2e


async def test_unexpected_error_is_logged_with_guild_and_command_and_answered(
    world: World,
    guild: FakeGuild,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug gets a generic localized reply; the log has the guild, the command, the traceback."""

    async def broken(limit: int, offset: int = 0) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(tag_store, "listing", broken)
    caplog.handler.addFilter(GuildIdFilter())
    with caplog.at_level(logging.ERROR, logger="app"):
        reply = await world.slash(guild, ALICE, "tag", "list")
        french = await world.slash(guild, ALICE, "tag", "list", locale="fr")
    assert reply.content == (
        "Something went wrong on our side; it has been logged. Please try again later."
    )
    assert reply.ephemeral
    assert french.content == (
        "Une erreur s'est produite de notre côté ; elle a été consignée. Réessayez plus tard."
    )
    record = next(r for r in caplog.records if r.name == "app.bot")
    assert record.getMessage() == "/tag list failed"
    assert record.guild_id == guild.id  # type: ignore[attr-defined]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert any("/tag list failed" in e for e in world.errors.errors)
    world.errors.errors.clear()  # expected: the test provoked it


async def test_unreachable_database_gets_a_try_again_reply(
    world: World,
    guild: FakeGuild,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the guild's connections cannot be opened, the user is told to try again later."""
    await world.slash(guild, ALICE, "tag", "list")  # status cached
    # Both tiers now open their connections on a port nobody listens on.
    dead = replace(world.tenancy.address, port=1)
    monkeypatch.setattr(world.tenancy, "address", dead)
    unreachable = await asyncpg.create_pool(dead.dsn, min_size=0, max_size=1)
    shared = world.tenancy.connections.shared
    monkeypatch.setattr(shared, "_pools", [unreachable] * len(shared._pools))
    world.tenancy.connections.evict(guild.id)
    try:
        with caplog.at_level(logging.WARNING, logger="app"):
            reply = await world.slash(guild, ALICE, "tag", "list")
        assert reply.content == (
            "The database is temporarily unavailable. Please try again in a moment."
        )
        assert reply.ephemeral
        assert any(
            r.levelno == logging.WARNING and "database is unavailable" in r.getMessage()
            for r in caplog.records
        )
    finally:
        monkeypatch.undo()
        await unreachable.close()
    ok = await world.slash(guild, ALICE, "tag", "list")
    assert ok.content == "This server has no tags yet. Create one with /tag create."


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (asyncpg.exceptions.CannotConnectNowError("starting up"), True),
        (asyncpg.exceptions.TooManyConnectionsError("too many"), True),
        (DBConnectionError("no database"), True),
        (ClientCacheClosed("closing"), True),
        (OperationalError("wrapped"), False),
        (RuntimeError("bug"), False),
        (ValueError("bad"), False),
    ],
)
def test_database_outages_are_told_apart_from_bugs(error: Exception, unavailable: bool) -> None:
    """Connection-level failures count as an outage; ordinary errors do not."""
    assert is_database_unavailable(error) is unavailable


def test_an_outage_wrapped_with_raise_from_is_still_an_outage() -> None:
    """Tortoise and the core wrap driver errors with `raise ... from`; the cause counts."""
    wrapped = OperationalError("query failed")
    wrapped.__cause__ = ConnectionResetError("reset")
    assert is_database_unavailable(wrapped)
    unrelated = RuntimeError("bug")
    unrelated.__context__ = ConnectionResetError("handled earlier")  # not a cause
    assert not is_database_unavailable(unrelated)
