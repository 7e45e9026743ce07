"""/tenant registered only in the operator's servers when OPERATOR_GUILD_IDS is set."""

from __future__ import annotations

import pytest

from app.tenancy import Tenancy
from bench.fakediscord import MANAGE_GUILD, FakeDiscord, FakeDiscordError, running_bot
from tests.e2e.world import APP_OWNER, make_bot, stable_feature_modules, wait_provisioned

pytestmark = pytest.mark.e2e


async def test_operator_guild_ids_register_tenant_there_only(tenancy: Tenancy) -> None:
    """No global /tenant; a guild command in the operator's server that reaches any guild."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    ops, member_server = fake.add_guild(name="Ops"), fake.add_guild(name="Members")
    bot = make_bot(tenancy, operator_guild_ids=frozenset({ops.id}))
    with stable_feature_modules():
        async with fake, running_bot(fake, bot):
            await wait_provisioned([ops.id, member_server.id])
            assert fake.command("tenant") is None
            assert fake.command("tag") is not None
            in_ops = fake.command("tenant", ops.id)
            assert in_ops is not None
            assert in_ops["default_member_permissions"] == str(MANAGE_GUILD)
            with pytest.raises(FakeDiscordError):
                await fake.slash(
                    member_server.id, APP_OWNER, "tenant", subcommand="status", timeout_s=0.2
                )
            reply = await fake.slash(
                ops.id,
                APP_OWNER,
                "tenant",
                subcommand="status",
                options={"guild_id": str(member_server.id)},
                permissions=MANAGE_GUILD,
            )
    assert reply.ephemeral
    assert (reply.content or "").startswith(f"**Members** (`{member_server.id}`)")
    fake.assert_clean()
