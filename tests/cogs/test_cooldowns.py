"""Command cooldowns: the user's rate first, the guild's only charged for allowed uses."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from disnake.ext.commands import BucketType, CommandOnCooldown

from app.cogs._cooldowns import SWEEP_EVERY_S, CommandLimits
from app.settings import Settings


def _inter(user: int, guild: int = 1) -> SimpleNamespace:
    return SimpleNamespace(author=SimpleNamespace(id=user), guild_id=guild)


def _limits(**rates: str) -> CommandLimits:
    return CommandLimits(Settings(_env_file=None, **rates))  # type: ignore[call-arg]


def test_a_user_over_their_rate_is_refused_without_spending_the_guilds() -> None:
    """User 2/60, guild 3/60: Alice's 3rd and 4th uses are refused as hers; Bob still gets
    the guild's third use, and the fourth use in the guild is refused as the guild's."""
    limits = _limits(cooldown_tag_create_user="2/60", cooldown_tag_create_guild="3/60")
    alice, bob, carol = _inter(1), _inter(2), _inter(3)
    limits.charge("tag_create", alice)
    limits.charge("tag_create", alice)
    for _ in range(2):
        with pytest.raises(CommandOnCooldown) as mine:
            limits.charge("tag_create", alice)
        assert mine.value.type is BucketType.user and 0 < mine.value.retry_after <= 60
    limits.charge("tag_create", bob)
    with pytest.raises(CommandOnCooldown) as guilds:
        limits.charge("tag_create", carol)
    assert guilds.value.type is BucketType.guild
    limits.charge("tag_create", _inter(3, guild=2))  # another guild has its own rate


def test_a_rate_of_zero_never_refuses() -> None:
    """COOLDOWN_XP_USER=0 and COOLDOWN_XP_GUILD=0: no limit at all."""
    limits = _limits(cooldown_xp_user="0", cooldown_xp_guild="0")
    for _ in range(1000):
        limits.charge("xp", _inter(1))


def test_expired_buckets_are_swept_every_few_seconds_not_on_every_use() -> None:
    """A bucket whose window passed is dropped at the next sweep, not on each use."""
    limits = _limits(cooldown_note_add_user="1/5")
    mapping = limits._mappings["note_add", BucketType.user]
    for user in range(100):
        mapping.get_bucket(_inter(user), 1000.0).update_rate_limit(1000.0)
    mapping.get_bucket(_inter(500), 1006.0)  # windows passed, but no sweep is due yet
    assert len(mapping._cache) == 101
    mapping.get_bucket(_inter(501), 1000.0 + SWEEP_EVERY_S + 1)
    assert set(mapping._cache) == {501}
