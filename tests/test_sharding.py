"""Shard ranges from SHARD_IDS / SHARD_COUNT, and the shard a guild belongs to."""

from __future__ import annotations

import pytest
from disnake.utils import snowflake_time

from app.settings import SettingsError, load_settings
from app.sharding import ShardScope, format_shard_ids, parse_shard_ids, shard_of


def test_parse_shard_ids_accepts_ranges_lists_and_spaces() -> None:
    """'0-3', '0,2', ' 4 , 0-1 ' → sorted ids, each once."""
    assert parse_shard_ids("0-3") == (0, 1, 2, 3)
    assert parse_shard_ids("0,2") == (0, 2)
    assert parse_shard_ids(" 4 , 0-1, 1 ") == (0, 1, 4)
    assert parse_shard_ids("7") == (7,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no shard ids given"),
        ("1,,2", "'' is not a shard id"),
        ("a-3", "'a' is not a shard id"),
        ("-1", "'' is not a shard id"),
        ("3-1", "range '3-1' runs backwards; write it as 1-3"),
        ("0-99999", "shard id 99999 is too large"),
        ("1.5", "'1.5' is not a shard id"),
    ],
)
def test_parse_shard_ids_names_the_bad_part(text: str, message: str) -> None:
    """Each malformed SHARD_IDS is refused with a message naming what is wrong."""
    with pytest.raises(ValueError, match=message):
        parse_shard_ids(text)


def test_format_shard_ids_folds_runs_into_ranges() -> None:
    """(0, 1, 2, 5, 7, 8) → '0-2,5,7-8': what the logs show."""
    assert format_shard_ids((0, 1, 2, 5, 7, 8)) == "0-2,5,7-8"
    assert format_shard_ids([3]) == "3"
    assert format_shard_ids(parse_shard_ids("0-3,9")) == "0-3,9"


def test_shard_of_is_discords_formula() -> None:
    """(guild_id >> 22) % shard_count: one shard per 2**22 ids, cycling over the count."""
    guild = 81384788765712384  # a real Discord guild id
    assert shard_of(guild, 1) == 0
    assert shard_of(guild, 4) == (guild >> 22) % 4
    assert [shard_of(k << 22, 3) for k in range(6)] == [0, 1, 2, 0, 1, 2]
    # The low 22 bits (worker, process, increment) never move a guild to another shard.
    assert shard_of((5 << 22) | 0x3FFFFF, 4) == shard_of(5 << 22, 4) == 1
    assert snowflake_time(guild).year == 2015  # the bits shifted out are the timestamp
    with pytest.raises(ValueError, match="shard_count must be 1 or more"):
        shard_of(guild, 0)


def test_shard_scope_owns_only_its_shards_guilds() -> None:
    """A process on shards 0 and 2 of 4 owns guilds of those shards only."""
    scope = ShardScope((0, 2), 4)
    owned = [k for k in range(8) if scope.owns(k << 22)]
    assert owned == [0, 2, 4, 6]
    with pytest.raises(ValueError, match=r"shard id 4 is outside 0-3 \(SHARD_COUNT is 4\)"):
        ShardScope((1, 4), 4)


def test_settings_default_to_every_shard_discord_recommends() -> None:
    """No SHARD_COUNT: no scope (disnake asks Discord); SHARD_COUNT alone: all its shards."""
    assert load_settings(_env_file=None).shard_scope is None
    assert load_settings(_env_file=None, shard_count="3").shard_scope == ShardScope((0, 1, 2), 3)
    both = load_settings(_env_file=None, shard_count="8", shard_ids="4-7")
    assert both.shard_scope == ShardScope((4, 5, 6, 7), 8)
    empty = load_settings(_env_file=None, shard_count="", shard_ids="")  # as in .env.example
    assert empty.shard_scope is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"shard_ids": "0-1"}, "setting SHARD_IDS is invalid: .*needs SHARD_COUNT too"),
        ({"shard_count": "2", "shard_ids": "1-2"}, "SHARD_IDS .*shard id 2 is outside 0-1"),
        ({"shard_count": "2", "shard_ids": "x"}, "SHARD_IDS .*'x' is not a shard id"),
        ({"shard_count": "0"}, "setting SHARD_COUNT is invalid"),
        ({"shard_count": "two"}, "setting SHARD_COUNT is invalid"),
        ({"process_count": "0"}, "setting PROCESS_COUNT is invalid"),
    ],
)
def test_bad_shard_settings_are_one_line_naming_the_variable(
    values: dict[str, str], message: str
) -> None:
    """Every bad shard setting fails with one line naming the variable and the fix."""
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings(_env_file=None, **values)
    assert "\n" not in str(caught.value)
