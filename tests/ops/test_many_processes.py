"""Status changes made by another process reach this one's running Tenancy through NOTIFY."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import asyncpg
import pytest

from app.tenancy import TenantUnavailable, guild_db
from app.tenancy.registry import listener as listener_module
from app.tenancy.registry.listener import CHANNEL, StatusListener

#: The most a change may take to reach this process once it is committed.
WITHIN = 1.0
#: Bound on a connect or a reconnect (generous: a loaded machine).
WAIT_S = 10.0


async def _cached_then_evicted(tenancy, guild_id: int, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while tenancy.connections.pinned.is_pinned(guild_id):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_cli_disable_reaches_the_running_tenancy_within_a_second(
    cli, tenancy, provisioned
) -> None:
    """`guildhall tenants disable` in another process evicts our client and refuses binding."""
    guild = await provisioned()
    async with guild_db(guild):  # caches the 'active' state here
        pass
    assert await tenancy.connections.pin(guild)
    result = await cli("tenants", "disable", str(guild), "--reason", "from the CLI")
    assert result.code == 0, result.stderr
    assert await _cached_then_evicted(tenancy, guild, WITHIN)
    with pytest.raises(TenantUnavailable, match="from the CLI"):
        async with guild_db(guild):
            pass


async def test_listener_reconnects_after_its_connection_is_killed(tenancy, monkeypatch) -> None:
    """pg_terminate_backend on a listener's connection: it reconnects and hears later changes.

    The listener is the test's own, and only its backend is killed: other listeners on the
    database (the session's core, another process) are none of this test's business.
    """
    opened: asyncio.Queue[asyncpg.Connection] = asyncio.Queue()

    async def connect(*args, **kwargs) -> asyncpg.Connection:
        conn = await asyncpg.connect(*args, **kwargs)
        opened.put_nowait(conn)
        return conn

    monkeypatch.setattr(listener_module, "asyncpg", SimpleNamespace(connect=connect))
    heard: asyncio.Queue[int | None] = asyncio.Queue()

    async def on_change(guild_id: int | None) -> None:
        heard.put_nowait(guild_id)

    listener = StatusListener(tenancy.address.dsn, {CHANNEL: on_change}, retry_seconds=0.05)
    listener.start()
    admin = await asyncpg.connect(tenancy.address.dsn)
    try:
        first = await asyncio.wait_for(opened.get(), WAIT_S)
        assert await asyncio.wait_for(heard.get(), WAIT_S) is None  # connected: forget all
        assert await admin.fetchval("SELECT pg_terminate_backend($1::int)", first.get_server_pid())
        second = await asyncio.wait_for(opened.get(), WAIT_S)
        assert second.get_server_pid() != first.get_server_pid()
        assert await asyncio.wait_for(heard.get(), WAIT_S) is None  # reconnected: forget all
        await admin.execute("SELECT pg_notify($1, '42')", CHANNEL)
        assert await asyncio.wait_for(heard.get(), WITHIN) == 42
    finally:
        await listener.stop()
        await admin.close()
