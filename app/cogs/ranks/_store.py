"""XP data. Member rows are the bound guild's: call those functions inside
``async with guild_db(guild_id):``. The opt-out lives in the shared ``User`` table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from app.cogs.ranks._levels import level_for
from app.models.shared import User
from app.models.tenant import Member


@dataclass(frozen=True)
class Standing:
    """A member's XP, level, message count and place in the guild."""

    user_id: int
    xp: int
    level: int
    message_count: int
    position: int


async def is_opted_out(user_id: int) -> bool:
    """True if the user asked for no XP tracking anywhere (``/privacy opt-out``)."""
    return await User.filter(user_id=user_id, tracking_opt_out=True).exists()


async def record_message(
    user_id: int, *, gain: int, now: datetime, cooldown: timedelta
) -> int | None:
    """Count one message; award ``gain`` XP unless the member earned XP within ``cooldown``.

    Returns the member's new XP total when XP was awarded, else None. Each step is one
    atomic statement: PostgreSQL re-checks an UPDATE's WHERE on the row it locked, so two
    messages racing cannot both pass the cooldown, and no increment is lost.
    """
    cutoff = now - cooldown
    for _attempt in range(3):
        # The common case while chatting: still cooling down, only the message counts.
        if await Member.filter(user_id=user_id, last_xp_at__gt=cutoff).update(
            message_count=F("message_count") + 1
        ):
            return None
        ready = Q(last_xp_at__isnull=True) | Q(last_xp_at__lte=cutoff)
        if await Member.filter(ready, user_id=user_id).update(
            xp=F("xp") + gain, message_count=F("message_count") + 1, last_xp_at=now
        ):
            awarded = await Member.get(user_id=user_id)
            await _raise_level(user_id, int(awarded.xp))
            return int(awarded.xp)
        try:
            await Member.create(
                user_id=user_id, xp=gain, level=level_for(gain), message_count=1, last_xp_at=now
            )
            return gain
        except IntegrityError:
            continue  # another message created the row first: count against it
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
