"""The fairness settings: defaults, USES/SECONDS rates, and one line for each bad value."""

from __future__ import annotations

import pytest

from app.rates import Rate, parse_rate
from app.settings import SettingsError, load_settings


def test_default_cap_is_an_eighth_of_the_shared_tier() -> None:
    """Unset GUILD_SHARED_LEASES_MAX: an eighth of the shared tier, the measured default."""
    settings = load_settings(_env_file=None)
    shared = settings.connection_budget().shared_tier
    limits = settings.fair_share_limits()
    assert limits.max_shared_leases == max(1, shared // 8) == 2
    assert limits.wait_seconds == settings.guild_lease_wait_seconds


def test_rates_parse_uses_per_seconds_and_zero_turns_a_limit_off() -> None:
    """'5/60' is five per minute; '0' and '' mean no limit."""
    assert parse_rate("5/60") == Rate(5, 60.0)
    assert parse_rate(" 12/1.5 ") == Rate(12, 1.5)
    assert parse_rate("0") is None and parse_rate("") is None
    settings = load_settings(_env_file=None, cooldown_tag_create_user="2/10", xp_guild_budget="0")
    assert settings.cooldown_tag_create_user == Rate(2, 10.0)
    assert settings.xp_guild_budget is None


@pytest.mark.parametrize("value", ["5-60", "five/60", "0/60", "5/0", "5/", "5/nan", "-1/60"])
def test_a_malformed_rate_is_one_line_naming_the_setting_and_format(value: str) -> None:
    """A bad rate stops start-up with one line: the variable and how to write it."""
    with pytest.raises(SettingsError) as bad:
        load_settings(_env_file=None, cooldown_note_add_guild=value)
    message = str(bad.value)
    assert "\n" not in message
    assert "COOLDOWN_NOTE_ADD_GUILD" in message and "USES/SECONDS" in message


def test_a_cap_above_the_shared_tier_names_both_knobs() -> None:
    """GUILD_SHARED_LEASES_MAX larger than the shared tier is refused, naming the budget."""
    with pytest.raises(SettingsError) as bad:
        load_settings(_env_file=None, db_connection_budget=20, guild_shared_leases_max=19)
    assert "GUILD_SHARED_LEASES_MAX=19" in str(bad.value)
    assert "DB_CONNECTION_BUDGET=20" in str(bad.value)


def test_the_lease_wait_stays_within_discords_reply_deadline() -> None:
    """A wait above 2.5 s would outlast the 3 s an interaction has: refused."""
    with pytest.raises(SettingsError, match="GUILD_LEASE_WAIT_SECONDS"):
        load_settings(_env_file=None, guild_lease_wait_seconds=3)
