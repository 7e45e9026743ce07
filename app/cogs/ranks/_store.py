"""XP data. Member rows are the bound guild's: call those functions inside
``async with guild_db(guild_id):``. The opt-out lives in the shared ``User`` table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.cogs.ranks._levels import level_for
from app.models.tenant import Member
from app.tenancy import current_tenancy


@dataclass(frozen=True)
class Standing:
    """A member's XP, level, message count and place in the guild."""

    user_id: int
    xp: int
    level: int
    message_count: int
    position: int


async def is_opted_out(user_id: int) -> bool:
    """True if the user asked for no XP tracking anywhere (``/privacy opt-out``).

    Answered from the process's cache of the shared ``User`` table (no query per message).
    """
    return await current_tenancy().opt_outs.is_opted_out(user_id)


# The common case while chatting — still cooling down — is one statement: count the message.
_COOLING = """
UPDATE member SET message_count = message_count + 1
WHERE user_id = $1 AND last_xp_at > $2
"""
# Otherwise one statement inserts the member or awards XP. ON CONFLICT locks the row and
# re-checks the WHERE on it, so two racing messages cannot both pass the cooldown.
_AWARD = """
INSERT INTO member (user_id, xp, level, message_count, last_xp_at)
VALUES ($1, $2, $3, 1, $4)
ON CONFLICT (user_id) DO UPDATE SET
    xp = member.xp + EXCLUDED.xp,
    message_count = member.message_count + 1,
    last_xp_at = EXCLUDED.last_xp_at
WHERE member.last_xp_at IS NULL OR member.last_xp_at <= $5
RETURNING xp, level
"""


async def record_message(
    user_id: int, *, gain: int, now: datetime, cooldown: timedelta
) -> int | None:
    """Count one message; award ``gain`` XP unless the member earned XP within ``cooldown``.

    Returns the member's new XP total when XP was awarded, else None. One statement while
    the member cools down, two when XP is awarded, three on a level-up; no increment is lost.
    """
    db = Member._meta.db
    cutoff = now - cooldown
    for _attempt in range(3):
        counted, _ = await db.execute_query(_COOLING, [user_id, cutoff])
        if counted:
            return None
        rows = await db.execute_query_dict(_AWARD, [user_id, gain, level_for(gain), now, cutoff])
        if rows:
            xp = int(rows[0]["xp"])
            if level_for(xp) > int(rows[0]["level"]):
                await _raise_level(user_id, xp)
            return xp
        # Another message won the award between the two statements: count against it.
    return None


async def _raise_level(user_id: int, xp: int) -> None:
    # Level is derived from XP, which only grows; moving it up only (never down) keeps it
    # right whatever order concurrent awards finish in.
    level = level_for(xp)
    await Member.filter(user_id=user_id, level__lt=level).update(level=level)


async def standing(user_id: int) -> Standing | None:
    """Where a member stands in the bound guild, or None if they never earned XP."""
    member = await Member.get_or_none(user_id=user_id)
    if member is None:
        return None
    ahead = await Member.filter(xp__gt=member.xp).count()
    return Standing(
        user_id=member.user_id,
        xp=member.xp,
        level=level_for(member.xp),
        message_count=member.message_count,
        position=ahead + 1,
    )


async def top(limit: int) -> list[Standing]:
    """The ``limit`` members with the most XP; equal XP shares a place, as in :func:`standing`."""
    members = await Member.filter(xp__gt=0).order_by("-xp", "id").limit(limit)
    ranked: list[Standing] = []
    for index, m in enumerate(members, start=1):
        tied = ranked and ranked[-1].xp == m.xp
        position = ranked[-1].position if tied else index
        ranked.append(Standing(m.user_id, m.xp, level_for(m.xp), m.message_count, position))
    return ranked
