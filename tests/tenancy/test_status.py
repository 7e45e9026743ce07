"""Enable / disable / paid_until / left: refused at the binding, data untouched."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from app.models.shared import Tenant
from app.models.tenant import Tag
from app.tenancy import TenantNotFound, TenantUnavailable, guild_db
from app.tenancy.registry.listener import CHANNEL


async def _add_tag(guild_id: int) -> None:
    async with guild_db(guild_id):
        await Tag.create(name="keep", name_key="keep", content="data", author_id=1)


async def test_disabled_guild_is_refused_with_reason_and_data_kept(tenancy, provisioned) -> None:
    """Disable refuses the binding with the reason; enable brings the same rows back."""
    guild_id = await provisioned()
    await _add_tag(guild_id)
    await tenancy.disable(guild_id, reason="unpaid")
    with pytest.raises(TenantUnavailable) as refused:
        async with guild_db(guild_id):
            pass
    assert refused.value.status == "disabled" and refused.value.reason == "unpaid"
    assert "guildhall tenants enable" in str(refused.value)
    await tenancy.enable(guild_id)
    async with guild_db(guild_id):
        assert (await Tag.get(name_key="keep")).content == "data"


async def test_disable_evicts_the_guild_client(tenancy, provisioned) -> None:
    """A status change drops the guild's pinned client."""
    guild_id = await provisioned()
    await _add_tag(guild_id)
    assert await tenancy.connections.pin(guild_id)
    await tenancy.disable(guild_id)
    assert not tenancy.connections.pinned.is_pinned(guild_id)


async def test_paid_until_in_the_past_counts_as_disabled(tenancy, provisioned) -> None:
    """enable --until a past date: refused as expired; a future date: served."""
    guild_id = await provisioned()
    await tenancy.enable(guild_id, until=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(TenantUnavailable) as refused:
        async with guild_db(guild_id):
            pass
    assert refused.value.status == "expired"
    await tenancy.enable(guild_id, until=datetime.now(UTC) + timedelta(days=30))
    async with guild_db(guild_id):
        assert await Tag.all().count() == 0


async def test_left_guild_is_refused_and_rejoin_reactivates(tenancy, provisioned) -> None:
    """Leaving keeps data and refuses; rejoining serves the same data again."""
    guild_id = await provisioned()
    await _add_tag(guild_id)
    left = await tenancy.mark_left(guild_id)
    assert left.status == "left" and left.left_at is not None
    with pytest.raises(TenantUnavailable, match="left"):
        async with guild_db(guild_id):
            pass
    joined = await tenancy.mark_joined(guild_id, "Renamed")
    assert joined.status == "active" and joined.left_at is None and joined.name == "Renamed"
    async with guild_db(guild_id):
        assert await Tag.filter(name_key="keep").exists()


async def test_rejoin_does_not_undo_an_operator_disable(tenancy, provisioned) -> None:
    """A guild the operator disabled stays disabled across leave and rejoin."""
    guild_id = await provisioned()
    await tenancy.disable(guild_id, reason="abuse")
    await tenancy.mark_left(guild_id)
    tenant = await tenancy.mark_joined(guild_id)
    assert tenant.status == "disabled" and tenant.reason == "abuse"


async def test_unknown_guild_binding_names_the_fix(tenancy, new_guild_id) -> None:
    """Binding a guild with no tenant says how to provision it."""
    guild_id = next(new_guild_id)
    with pytest.raises(TenantNotFound, match=f"guildhall tenants provision {guild_id}"):
        async with guild_db(guild_id):
            pass


async def test_status_change_is_announced_with_notify(tenancy, provisioned) -> None:
    """Another process LISTENing hears the guild id of every status change."""
    guild_id = await provisioned()
    heard: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(tenancy.address.dsn)
    try:
        await conn.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[-1]))
        await tenancy.disable(guild_id, reason="test")
        assert await asyncio.wait_for(heard.get(), 2) == str(guild_id)
    finally:
        await conn.close()


async def test_change_from_elsewhere_reaches_the_status_cache(tenancy, provisioned) -> None:
    """A status written by another process (raw SQL + NOTIFY) invalidates this one's cache."""
    guild_id = await provisioned()
    await _add_tag(guild_id)  # caches the 'active' state
    conn = await asyncpg.connect(tenancy.address.dsn)
    try:
        await conn.execute(
            "UPDATE shared.tenant SET status = 'disabled' WHERE guild_id = $1", guild_id
        )
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(guild_id))
    finally:
        await conn.close()
    for _ in range(100):
        try:
            async with guild_db(guild_id):
                pass
        except TenantUnavailable:
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the disable made elsewhere never reached this process")
    assert (await Tenant.get(guild_id=guild_id)).status == "disabled"


async def test_disable_racing_a_rejoin_is_never_lost(tenancy, provisioned) -> None:
    """An operator's disable that lands while a rejoin is recorded always wins."""
    guild_id = await provisioned()
    for _ in range(15):
        await tenancy.mark_left(guild_id)
        await asyncio.gather(tenancy.mark_joined(guild_id), tenancy.disable(guild_id, "race"))
        assert (await Tenant.get(guild_id=guild_id)).status == "disabled"
        await tenancy.enable(guild_id)
