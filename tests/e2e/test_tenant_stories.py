"""Stories of the bot owner's /tenant: disabling a guild, enabling it, and who may do so."""

from __future__ import annotations

import pytest

from app.models.shared import TenantStatus
from bench.fakediscord import ADMINISTRATOR, MANAGE_GUILD, FakeGuild
from tests.e2e.world import ALICE, APP_OWNER, BOB, EXTRA_OWNER, World, sql_rows, tenant_of

pytestmark = pytest.mark.e2e

REFUSED_IN_A = (
    "Guildhall is disabled in this server (reason: unpaid). "
    "Nothing was changed, and your data is kept."
)


async def test_owner_disables_guild_a_then_enable_brings_its_data_back(
    world: World, guild_a: FakeGuild, guild_b: FakeGuild
) -> None:
    """The owner disables guild A: members are refused, B carries on; enable brings A back."""
    await world.slash(guild_a, ALICE, "tag", "create", options={"name": "faq", "content": "42"})
    await world.slash(guild_b, ALICE, "tag", "create", options={"name": "faq", "content": "B"})

    disabled = await world.slash(
        guild_a, APP_OWNER, "tenant", "disable", options={"reason": "unpaid"}
    )
    assert (disabled.content, disabled.ephemeral) == (
        f"Server {guild_a.id} is disabled (reason: unpaid). "
        "Its data is kept; /tenant enable serves it again.",
        True,
    )
    for command, sub, options in [
        ("tag", "show", {"name": "faq"}),
        ("tag", "create", {"name": "new", "content": "x"}),
        ("rank", None, {}),
        ("privacy", "forget-me", {}),
    ]:
        refused = await world.slash(guild_a, ALICE, command, sub, options=options)
        assert (refused.content, refused.ephemeral) == (REFUSED_IN_A, True), command
    in_b = await world.slash(guild_b, ALICE, "tag", "show", options={"name": "faq"})
    assert in_b.content == "B"
    assert [row["name"] for row in await sql_rows(guild_a.id, "tag", "name")] == ["faq"]

    enabled = await world.slash(guild_a, EXTRA_OWNER, "tenant", "enable", permissions=MANAGE_GUILD)
    assert (enabled.content, enabled.ephemeral) == (f"Server {guild_a.id} is enabled.", True)
    shown = await world.slash(guild_a, ALICE, "tag", "show", options={"name": "faq"})
    assert (shown.content, shown.ephemeral) == ("42", False)


async def test_non_owners_tenant_commands_are_refused_and_change_nothing(
    world: World, guild_a: FakeGuild, guild_b: FakeGuild
) -> None:
    """Bob, even as a server administrator, cannot disable guild A or B nor read their status."""
    attempts: list[tuple[str, dict[str, object]]] = [
        ("disable", {"reason": "mine now"}),
        ("disable", {"guild_id": str(guild_b.id)}),
        ("enable", {}),
        ("status", {}),
    ]
    for sub, options in attempts:
        reply = await world.slash(
            guild_a, BOB, "tenant", sub, options=options, permissions=ADMINISTRATOR
        )
        assert (reply.content, reply.ephemeral) == (
            "Only the bot's owners can use this command.",
            True,
        ), sub
    for guild in (guild_a, guild_b):
        tenant = await tenant_of(guild.id)
        assert tenant is not None
        assert (tenant.status, tenant.reason) == (TenantStatus.ACTIVE, None)
    shown = await world.slash(guild_a, BOB, "tag", "list")
    assert shown.content == "This server has no tags yet. Create one with /tag create."
