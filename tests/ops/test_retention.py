"""Purging guilds for good: one guild, and the retention sweep counted from ``left_at``."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from app.models.shared import Tenant
from app.models.tenant import Tag
from app.tenancy import TenantNotFound, guild_db
from app.tenancy.guild_data.retention import (
    TenantActive,
    purge_left_before,
    purge_tenant,
    retention_loop,
)
from app.tenancy.registry.listener import CHANNEL


async def _schema_exists(tenancy, guild_id: int) -> bool:
    conn = await asyncpg.connect(tenancy.address.dsn)
    try:
        return await conn.fetchval("SELECT to_regnamespace($1) IS NOT NULL", f"guild_{guild_id}")
    finally:
        await conn.close()


#: The sweeps below count from this "now", decades back: only this module's guilds left
#: before it, so a sweep never purges a guild another test of the run is using.
EPOCH = datetime(1990, 1, 1, tzinfo=UTC)
#: Days from the real now back to EPOCH (for the CLI, which sweeps from the real now).
EPOCH_DAYS = (datetime.now(UTC) - EPOCH).days


async def _left_days_ago(tenancy, guild_id: int, days: float) -> None:
    """Mark the guild left ``days`` days before EPOCH."""
    await tenancy.mark_left(guild_id)
    await Tenant.filter(guild_id=guild_id).update(left_at=EPOCH - timedelta(days=days))


async def test_sweep_purges_guilds_left_longer_ago_than_retention(tenancy, provisioned) -> None:
    """left 40 days ago: purged at 30 days; left 10 days ago: kept; active: never."""
    old, recent, active = await provisioned(), await provisioned(), await provisioned()
    disabled_old = await provisioned()
    await _left_days_ago(tenancy, old, 40)
    await _left_days_ago(tenancy, recent, 10)
    await tenancy.disable(disabled_old, reason="abuse")
    await _left_days_ago(tenancy, disabled_old, 45)  # stays disabled, left_at set
    # An active guild with a stale left_at (inconsistent, but must still be safe).
    await Tenant.filter(guild_id=active).update(left_at=EPOCH - timedelta(days=99))

    purged = (await purge_left_before(30, now=EPOCH)).purged

    assert purged == [disabled_old, old]  # oldest first
    assert not await Tenant.filter(guild_id__in=[old, disabled_old]).exists()
    assert not await _schema_exists(tenancy, old)
    assert await _schema_exists(tenancy, recent) and await _schema_exists(tenancy, active)
    assert await Tenant.filter(guild_id__in=[recent, active]).count() == 2


async def test_sweep_keeps_a_guild_that_rejoined(tenancy, provisioned) -> None:
    """A guild that left long ago but is back has no left_at and is kept."""
    guild = await provisioned()
    await _left_days_ago(tenancy, guild, 60)
    await tenancy.mark_joined(guild)
    assert (await purge_left_before(30, now=EPOCH)).purged == []
    assert await _schema_exists(tenancy, guild)


async def test_purge_drops_schema_row_and_cached_client_and_notifies(tenancy, provisioned) -> None:
    """A purge removes everything in one go, evicts the client and announces the guild id."""
    guild = await provisioned()
    async with guild_db(guild):
        await Tag.create(name="t", name_key="t", content="c", author_id=1)
    await tenancy.disable(guild)
    assert await tenancy.connections.pin(guild)
    heard: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(tenancy.address.dsn)
    try:
        await conn.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[-1]))
        result = await purge_tenant(guild)
        assert await asyncio.wait_for(heard.get(), 2) == str(guild)
    finally:
        await conn.close()
    assert result is not None and result.schema_dropped and result.status == "disabled"
    assert not tenancy.connections.pinned.is_pinned(guild)
    assert not await _schema_exists(tenancy, guild)
    with pytest.raises(TenantNotFound):
        async with guild_db(guild, require_active=False):
            pass


async def test_purge_refuses_an_active_guild_unless_forced(tenancy, provisioned) -> None:
    """An active guild is still served: purging it needs force."""
    guild = await provisioned()
    with pytest.raises(TenantActive, match="--force"):
        await purge_tenant(guild)
    assert await _schema_exists(tenancy, guild)
    await purge_tenant(guild, force=True)
    assert not await _schema_exists(tenancy, guild)


async def test_purge_of_unknown_guild_is_not_found(tenancy, new_guild_id) -> None:
    """Nothing to purge: TenantNotFound."""
    with pytest.raises(TenantNotFound):
        await purge_tenant(next(new_guild_id))


async def test_purge_removes_a_stray_schema_without_registry_row(tenancy, provisioned) -> None:
    """A schema whose registry row is gone is dropped too."""
    guild = await provisioned()
    await Tenant.filter(guild_id=guild).delete()
    result = await purge_tenant(guild)
    assert result is not None and result.status is None and result.schema_dropped
    assert not await _schema_exists(tenancy, guild)


async def test_retention_loop_is_off_at_zero_days(tenancy) -> None:
    """TENANT_RETENTION_DAYS=0: the loop returns at once without purging."""
    await asyncio.wait_for(retention_loop(0), timeout=1)


async def test_cli_purge_needs_yes_and_purges(cli, tenancy, provisioned) -> None:
    """`tenants purge ID` without --yes is refused; with it the guild is gone."""
    guild = await provisioned()
    await tenancy.disable(guild)
    refused = await cli("tenants", "purge", str(guild))
    assert refused.code == 2 and "--yes" in refused.stderr
    assert await _schema_exists(tenancy, guild)
    done = await cli("-v", "tenants", "purge", str(guild), "--yes")  # -v: INFO lines too
    assert done.code == 0, done.stderr
    assert f"guild {guild} purged" in done.stdout
    assert f"guild {guild} purged: schema guild_{guild} dropped" in done.stderr  # the log line
    assert not await _schema_exists(tenancy, guild)
    both = await cli("tenants", "purge", str(guild), "--left-before", "3", "--yes")
    assert both.code == 2 and "one of them" in both.stderr


async def test_cli_purge_left_before(cli, tenancy, provisioned) -> None:
    """`tenants purge --left-before DAYS --yes` sweeps and prints JSON on request."""
    old, recent = await provisioned(), await provisioned()
    await _left_days_ago(tenancy, old, 400)
    await _left_days_ago(tenancy, recent, 1)
    days = str(EPOCH_DAYS + 365)
    result = await cli("tenants", "purge", "--left-before", days, "--yes", "--json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["purged"] == [old]
    assert report["failed"] == {}
