"""XP counting and standings, directly against a provisioned guild."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.cogs.ranks import _store as ranks
from app.cogs.ranks._levels import level_for, progress, xp_to_next
from app.models.shared import User
from app.models.tenant import Member
from app.tenancy import guild_db

MINUTE = timedelta(seconds=60)
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def record(user_id: int, at: datetime, gain: int = 20) -> int | None:
    return await ranks.record_message(user_id, gain=gain, now=at, cooldown=MINUTE)


async def test_first_message_creates_the_member_with_xp(guild_id: int) -> None:
    """A first message creates the row with the gain, one message and its level."""
    async with guild_db(guild_id):
        assert await record(1, T0, gain=25) == 25
        member = await Member.get(user_id=1)
    assert (member.xp, member.message_count, member.level, member.last_xp_at) == (25, 1, 0, T0)


async def test_cooldown_counts_messages_but_awards_once_a_minute(guild_id: int) -> None:
    """Within a minute only message_count grows; a minute later XP is awarded again."""
    async with guild_db(guild_id):
        await record(1, T0)
        assert await record(1, T0 + timedelta(seconds=59)) is None
        assert await record(1, T0 + MINUTE) == 40
        member = await Member.get(user_id=1)
    assert (member.xp, member.message_count, member.last_xp_at) == (40, 3, T0 + MINUTE)


async def test_level_rises_with_xp(guild_id: int) -> None:
    """Crossing 100 XP stores level 1 (the stored level follows the curve)."""
    async with guild_db(guild_id):
        for minute in range(5):
            await record(1, T0 + minute * MINUTE, gain=25)
        member = await Member.get(user_id=1)
    assert (member.xp, member.level) == (125, 1)


async def test_racing_messages_award_xp_once_and_count_all(guild_id: int) -> None:
    """Ten simultaneous messages (even the very first ones) earn XP once and all count."""

    async def one() -> int | None:
        async with guild_db(guild_id):
            return await record(7, T0)

    results = await asyncio.gather(*(one() for _ in range(10)))
    assert sum(r is not None for r in results) == 1
    async with guild_db(guild_id):
        member = await Member.get(user_id=7)
    assert (member.xp, member.message_count) == (20, 10)


async def test_standing_and_top_share_places_on_ties(guild_id: int) -> None:
    """Equal XP shares a place in both /rank and /leaderboard; zero XP is not listed."""
    async with guild_db(guild_id):
        for user_id, xp in ((1, 300), (2, 500), (3, 300), (4, 0)):
            await Member.create(user_id=user_id, xp=xp, message_count=1)
        standing = await ranks.standing(3)
        board = await ranks.top(10)
        assert await ranks.standing(99) is None
    assert standing is not None
    assert (standing.position, standing.level) == (2, 2)
    assert [(s.user_id, s.position) for s in board] == [(2, 1), (1, 2), (3, 2)]


async def test_is_opted_out_reads_the_shared_user(guild_id: int) -> None:
    """Only a User row with tracking_opt_out set means opted out."""
    await User.create(user_id=424242, tracking_opt_out=True)
    await User.create(user_id=434343, tracking_opt_out=False)
    assert await ranks.is_opted_out(424242)
    assert not await ranks.is_opted_out(434343)
    assert not await ranks.is_opted_out(454545)


@pytest.mark.parametrize(
    ("xp", "level"), [(0, 0), (99, 0), (100, 1), (254, 1), (255, 2), (4675, 10), (23850, 20)]
)
def test_level_curve_is_mee6_like(xp: int, level: int) -> None:
    """5l² + 50l + 100 XP per level: the documented thresholds hold."""
    assert level_for(xp) == level


def test_progress_reports_xp_within_the_level() -> None:
    """progress() splits total XP into the level, XP into it and XP it takes."""
    assert xp_to_next(2) == 220
    step = progress(300)
    assert (step.level, step.into_level, step.for_next) == (2, 45, 220)
