"""Guild lifecycle: join provisions, removal marks left and keeps data, rejoin reactivates."""

from __future__ import annotations

import pytest
from tortoise import connections

from app.models.shared import TenantStatus
from app.models.tenant import Tag
from app.tenancy.connections.config import SHARED_ALIAS
from bench.fakediscord import FakeGuild
from tests.bot.conftest import ALICE, World, tenant_of

pytestmark = pytest.mark.e2e


async def test_join_provisions_the_guild(world: World) -> None:
    """Joining a guild creates its registry row (with its name, active) and its schema."""
    guild = await world.new_guild(name="Brand New")
    found = await tenant_of(guild.id)
    assert found is not None
    assert (found.name, found.status) == ("Brand New", TenantStatus.ACTIVE)
    assert found.schema_name == f"guild_{guild.id}"
    rows = await connections.get(SHARED_ALIAS).execute_query_dict(
        "SELECT to_regnamespace($1) IS NOT NULL AS present", [found.schema_name]
    )
    assert rows[0]["present"]


async def test_removal_marks_left_and_keeps_the_data(world: World, guild: FakeGuild) -> None:
    """Being removed marks the guild left (with left_at) and deletes nothing."""
    await world.slash(guild, ALICE, "tag", "create", options={"name": "kept", "content": "x"})
    await world.remove(guild.id)
    found = await tenant_of(guild.id)
    assert found is not None
    assert found.status == TenantStatus.LEFT
    assert found.left_at is not None
    assert [t.name for t in await world.rows(guild, lambda: Tag.all())] == ["kept"]


async def test_rejoin_reactivates_a_left_guild_with_its_data(
    world: World, guild: FakeGuild
) -> None:
    """Coming back after a removal makes the guild active again, its tags intact."""
    await world.slash(guild, ALICE, "tag", "create", options={"name": "kept", "content": "x"})
    await world.remove(guild.id)
    assert (await tenant_of(guild.id)).status == TenantStatus.LEFT  # type: ignore[union-attr]
    await world.join(guild.id)
    found = await tenant_of(guild.id)
    assert found is not None
    assert (found.status, found.left_at) == (TenantStatus.ACTIVE, None)
    shown = await world.slash(guild, ALICE, "tag", "show", options={"name": "kept"})
    assert shown.content == "x"


async def test_rejoin_does_not_undo_an_operator_disable(world: World, guild: FakeGuild) -> None:
    """A guild the operator disabled stays disabled through a removal and a rejoin."""
    await world.tenancy.disable(guild.id, reason="abuse")
    await world.remove(guild.id)
    removed = await tenant_of(guild.id)
    assert removed is not None
    assert (removed.status, removed.left_at is not None) == (TenantStatus.DISABLED, True)
    await world.join(guild.id)
    found = await tenant_of(guild.id)
    assert found is not None
    assert (found.status, found.reason, found.left_at) == (TenantStatus.DISABLED, "abuse", None)
    reply = await world.slash(guild, ALICE, "tag", "list")
    assert reply.content is not None
    assert "(reason: abuse)" in reply.content
