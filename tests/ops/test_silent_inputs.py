"""Inputs the CLI used to take silently are refused or shown as given (issue 13, item 6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.models.shared import Tenant
from app.settings import SettingsError, load_settings


async def test_provision_refuses_a_name_longer_than_the_registry_column(cli, new_guild_id) -> None:
    """--name of 10,000 characters: refused with one line (exit 2), nothing created or cut."""
    guild_id = next(new_guild_id)
    result = await cli("tenants", "provision", str(guild_id), "--name", "n" * 10_000)
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        "guildhall: --name: a guild name is at most 100 characters; this one has 10000"
    ]
    assert not await Tenant.filter(guild_id=guild_id).exists()


async def test_provision_takes_a_name_at_the_limit(cli, new_guild_id) -> None:
    """A 100-character name is recorded whole."""
    guild_id = next(new_guild_id)
    result = await cli("tenants", "provision", str(guild_id), "--name", "n" * 100)
    assert result.code == 0, result.stderr
    assert (await Tenant.get(guild_id=guild_id)).name == "n" * 100


async def test_enable_until_a_date_prints_the_date_as_given(cli, provisioned) -> None:
    """`--until 2099-01-31` says "until 2099-01-31", not the next day's midnight."""
    guild_id = await provisioned()
    result = await cli("tenants", "enable", str(guild_id), "--until", "2099-01-31")
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == (
        f"guild {guild_id} enabled until 2099-01-31 (through the end of that day, UTC)"
    )


async def test_enable_until_a_past_date_is_refused(cli, provisioned) -> None:
    """A past --until is refused (exit 2) as /tenant enable refuses it; the guild stays."""
    guild_id = await provisioned()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    result = await cli("tenants", "enable", str(guild_id), "--until", yesterday)
    assert result.code == 2
    assert "in the past" in result.stderr
    assert (await Tenant.get(guild_id=guild_id)).paid_until is None


async def test_list_status_expired_lists_the_expired_guilds(cli, tenancy, provisioned) -> None:
    """`list --status expired` is accepted and lists exactly the guilds the list shows as
    expired; `--status active` no longer lists them."""
    expired, active = await provisioned(), await provisioned()
    await Tenant.filter(guild_id=expired).update(paid_until=datetime.now(UTC) - timedelta(days=1))
    tenancy.statuses.invalidate(expired)
    listed = await cli("tenants", "list", "--status", "expired", "--json")
    assert listed.code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert expired in [row["guild_id"] for row in rows]
    assert {row["effective_status"] for row in rows} == {"expired"}
    actives = json.loads((await cli("tenants", "list", "--status", "active", "--json")).stdout)
    ids = [row["guild_id"] for row in actives]
    assert active in ids and expired not in ids


async def test_list_status_unknown_is_refused(cli) -> None:
    """`list --status bogus` exits 2 and names the choices."""
    result = await cli("tenants", "list", "--status", "bogus")
    assert result.code == 2
    assert "expired" in result.stderr


async def test_migrate_an_unregistered_guild_exits_1(cli, new_guild_id) -> None:
    """`db migrate --guild <unregistered>` says it is not registered and exits 1."""
    guild_id = next(new_guild_id)
    result = await cli("db", "migrate", "--tenants-only", "--guild", str(guild_id))
    assert result.code == 1
    assert f"guild {guild_id} is not registered" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("guildhall: 1 guild(s) skipped")


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity"])
def test_idle_seconds_must_be_finite(value: str) -> None:
    """TENANT_IDLE_SECONDS=inf (or nan) is refused at start, naming the setting."""
    with pytest.raises(SettingsError, match="TENANT_IDLE_SECONDS"):
        load_settings(tenant_idle_seconds=value, _env_file=None)
