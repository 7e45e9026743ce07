"""Stories of the bot's guilds: present at start-up, joined, removed, rejoined."""

from __future__ import annotations

import pytest

from app.models.shared import TenantStatus
from bench.fakediscord import FakeGuild
from tests.e2e.world import ALICE, APP_OWNER, World, schema_exists, sql_rows, tenant_of

pytestmark = pytest.mark.e2e


async def test_guilds_present_at_startup_are_provisioned(
    world: World, guild_a: FakeGuild, guild_b: FakeGuild
) -> None:
    """The bot connects already in guilds A and B: both get an active tenant and a schema."""
    for guild in (guild_a, guild_b):
        tenant = await tenant_of(guild.id)
        assert tenant is not None
        assert (tenant.name, tenant.status, tenant.schema_name) == (
            guild.name,
            TenantStatus.ACTIVE,
            f"guild_{guild.id}",
        )
        assert await schema_exists(guild.id)
    reply = await world.slash(guild_a, ALICE, "tag", "list")
    assert reply.content == "This server has no tags yet. Create one with /tag create."


async def test_join_remove_and_rejoin_keep_the_guilds_tags(world: World) -> None:
    """Invited: provisioned; kicked: left, data kept; invited again: active with its tags."""
    guild = await world.new_guild(name="Guild C")
    joined = await tenant_of(guild.id)
    assert joined is not None
    assert (joined.status, joined.left_at) == (TenantStatus.ACTIVE, None)
    assert await schema_exists(guild.id)
    await world.slash(
        guild, ALICE, "tag", "create", options={"name": "rules", "content": "Be kind"}
    )

    await world.remove(guild.id)
    left = await tenant_of(guild.id)
    assert left is not None
    assert left.status == TenantStatus.LEFT
    assert left.left_at is not None
    assert [row["name"] for row in await sql_rows(guild.id, "tag")] == ["rules"]

    await world.join(guild.id, name="Guild C")
    back = await tenant_of(guild.id)
    assert back is not None
    assert (back.status, back.left_at) == (TenantStatus.ACTIVE, None)
    shown = await world.slash(guild, ALICE, "tag", "show", options={"name": "rules"})
    assert shown.content == "Be kind"


async def test_rejoin_does_not_undo_the_operators_disable(world: World, guild_a: FakeGuild) -> None:
    """The owner disables guild A; the bot is kicked and invited back: A stays disabled."""
    disabled = await world.slash(
        guild_a, APP_OWNER, "tenant", "disable", options={"reason": "spam"}
    )
    assert disabled.ephemeral
    await world.remove(guild_a.id)
    await world.join(guild_a.id, name=guild_a.name)
    tenant = await tenant_of(guild_a.id)
    assert tenant is not None
    assert (tenant.status, tenant.reason, tenant.left_at) == (TenantStatus.DISABLED, "spam", None)
    reply = await world.slash(guild_a, ALICE, "tag", "list")
    assert reply.content == (
        "Guildhall is disabled in this server (reason: spam). "
        "Nothing was changed, and your data is kept."
    )
    assert reply.ephemeral
