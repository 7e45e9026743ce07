"""The pinned tier's bookkeeping: a close in flight holds its slot; an outage is logged once."""

from __future__ import annotations

import dataclasses
import logging
import socket

from tortoise.backends.asyncpg.client import AsyncpgDBClient

from app.tenancy.connections.config import TENANT_ALIAS
from app.tenancy.connections.pinned_tier import PinnedTier
from app.tenancy.naming import schema_for

FAILED = "pinning a client failed"


def _closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused, like a server that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server:
    """A client factory for the test database that can be switched to a server that is down."""

    def __init__(self, address) -> None:
        self.up = address
        self.down = dataclasses.replace(address, host="127.0.0.1", port=_closed_port())
        self.is_up = True

    def client(self, guild_id: int) -> AsyncpgDBClient:
        address = self.up if self.is_up else self.down
        credentials = address.credentials(schema_for(guild_id), minsize=1, maxsize=1)
        return AsyncpgDBClient(connection_name=TENANT_ALIAS, **credentials)


def _failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if FAILED in r.getMessage() and r.levelno >= logging.INFO]


async def test_an_outage_is_logged_once_not_once_per_guild(tenancy, provisioned, caplog) -> None:
    """Every guild that fails to pin during one outage adds no line; the next outage does."""
    guilds = [await provisioned() for _ in range(4)]
    server = _Server(tenancy.address)
    tier = PinnedTier(server.client, capacity=4, pool_max=1, idle_seconds=60)
    caplog.set_level(logging.DEBUG, logger="app.tenancy.connections.pinned_tier")
    try:
        server.is_up = False
        assert [await tier.pin(g) for g in guilds[:3]] == [False, False, False]
        assert len(_failures(caplog)) == 1
        server.is_up = True
        assert await tier.pin(guilds[0])
        server.is_up = False
        assert not await tier.pin(guilds[3])
        assert len(_failures(caplog)) == 2, "a new outage after a success is logged again"
        assert tier.pinned_guilds() == [guilds[0]]
    finally:
        await tier.close()


async def test_a_close_in_flight_keeps_its_slot_until_it_is_done(tenancy, provisioned) -> None:
    """An evicted client's close runs in the background; its slot is free only once it ends."""
    first, second = await provisioned(), await provisioned()
    tier = PinnedTier(_Server(tenancy.address).client, capacity=1, pool_max=1, idle_seconds=60)
    try:
        assert await tier.pin(first)
        tier.evict(first)
        assert not await tier.pin(second), "the closing client still holds the only slot"
        await tier.wait_idle()
        assert await tier.pin(second)
        assert tier.pinned_guilds() == [second]
    finally:
        await tier.close()
