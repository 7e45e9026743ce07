"""On ready, the bot reconciles every guild it is in with the registry in one batch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from app.bot import feature_extensions
from app.models.shared import TenantStatus
from app.sharding import ShardScope
from app.tenancy import Tenancy
from bench.fakediscord import FakeDiscord, collect_bot_errors, running_bot
from tests.bot.conftest import APP_OWNER, make_bot, tenant_of
from tests.e2e.world import wait_provisioned

pytestmark = pytest.mark.e2e


async def test_ready_reconciles_all_guilds_in_one_batch(
    tenancy: Tenancy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New guilds are provisioned, left ones reactivated, disabled ones left alone — in one call."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    new = fake.add_guild(name="Joined while offline")
    returning = fake.add_guild(name="Came back")
    disabled = fake.add_guild(name="Disabled")
    await tenancy.provision(returning.id, "Came back")
    await tenancy.mark_left(returning.id)
    await tenancy.provision(disabled.id, "Disabled")
    await tenancy.disable(disabled.id, reason="operator")

    calls: list[dict[int, str]] = []
    real_reconcile = tenancy.reconcile

    async def spy(present: Mapping[int, str], shards: ShardScope | None = None) -> Any:
        calls.append(dict(present))
        return await real_reconcile(present, shards)

    monkeypatch.setattr(tenancy, "reconcile", spy)
    async with fake:
        with collect_bot_errors("app") as errors:
            async with running_bot(fake, make_bot(tenancy)):
                # on_ready reconciles in its own task: wait for the reactivation too.
                await wait_provisioned([new.id, returning.id])
        errors.assert_clean()
    fake.assert_clean()

    assert calls == [
        {new.id: "Joined while offline", returning.id: "Came back", disabled.id: "Disabled"}
    ]
    statuses = {g.id: (await tenant_of(g.id)).status for g in (new, returning, disabled)}  # type: ignore[union-attr]
    assert statuses == {
        new.id: TenantStatus.ACTIVE,
        returning.id: TenantStatus.ACTIVE,
        disabled.id: TenantStatus.DISABLED,
    }


async def test_bot_uses_only_non_privileged_intents_and_global_commands(tenancy: Tenancy) -> None:
    """Guilds + guild messages only; the six command groups are registered globally."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    fake.add_guild()
    async with fake, running_bot(fake, make_bot(tenancy)):
        intents = fake.gateway.intents
    assert intents == (1 << 0) | (1 << 9)  # GUILDS | GUILD_MESSAGES
    names = {c["name"] for c in fake.registered_commands[None]}
    assert names == {
        *("tenant", "tag", "note", "rank", "leaderboard", "privacy", "config", "xp"),
        "Add note",  # the member context menu
    }
    assert set(fake.registered_commands) == {None}


def test_features_are_discovered_from_the_cogs_package() -> None:
    """Every feature package under app/cogs is found; _-prefixed helpers are not features."""
    assert feature_extensions() == [
        "app.cogs.config",
        "app.cogs.notes",
        "app.cogs.privacy",
        "app.cogs.ranks",
        "app.cogs.tags",
        "app.cogs.tenant",
    ]
