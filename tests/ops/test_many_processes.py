"""Status changes made by another process reach this one's running Tenancy through NOTIFY."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from app.tenancy import TenantUnavailable, guild_db
from app.tenancy.registry.listener import CHANNEL, LISTENER_APPLICATION_NAME

#: The most a change may take to reach this process once it is committed.
WITHIN = 1.0

_LISTENER_BACKENDS = """
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND application_name = $1
"""


async def _cached_then_evicted(tenancy, guild_id: int, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while tenancy.connections.pinned.is_pinned(guild_id):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def _listener_pids(admin: asyncpg.Connection) -> list[int]:
    rows = await admin.fetch(_LISTENER_BACKENDS, LISTENER_APPLICATION_NAME)
    return [row["pid"] for row in rows]


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


async def test_listener_reconnects_after_its_connection_is_killed(tenancy, provisioned) -> None:
    """pg_terminate_backend on the listener: it reconnects and hears later changes."""
    admin = await asyncpg.connect(tenancy.address.dsn)
    try:
        # Ours, and any other process's listening on this database (all are killed).
        pids = await _listener_pids(admin)
        assert pids, "no status listener connection found"
        for pid in pids:
            assert await admin.fetchval("SELECT pg_terminate_backend($1::int)", pid)
        for _ in range(200):  # each retries after a second
            replaced = [pid for pid in await _listener_pids(admin) if pid not in pids]
            if len(replaced) >= len(pids):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the status listener did not reconnect within 10 s")

        guild = await provisioned()
        async with guild_db(guild):  # cached after the reconnect: only a NOTIFY can drop it
            pass
        assert await tenancy.connections.pin(guild)  # its eviction shows the NOTIFY was heard
        await admin.execute(
            "UPDATE shared.tenant SET status = 'disabled', reason = 'after reconnect' "
            "WHERE guild_id = $1",
            guild,
        )
        await admin.execute("SELECT pg_notify($1, $2)", CHANNEL, str(guild))
        assert await _cached_then_evicted(tenancy, guild, WITHIN)
        with pytest.raises(TenantUnavailable, match="after reconnect"):
            async with guild_db(guild):
                pass
    finally:
        await admin.close()
