"""Pages of the bound guild's leaderboard. Call inside ``async with guild_db(guild_id):``."""

from __future__ import annotations

from app.cogs.ranks._levels import level_for
from app.cogs.ranks._store import Standing
from app.models.tenant import Member


async def board_page(offset: int, limit: int) -> tuple[list[Standing], int]:
    """``limit`` members from place ``offset`` on, most XP first, and how many have XP.

    Equal XP shares a place across pages too: the first member of a page is placed after
    everyone with more XP, the others after the one before them unless tied with it.
    """
    ranked = Member.filter(xp__gt=0)
    total = await ranked.count()
    members = await ranked.order_by("-xp", "id").offset(offset).limit(limit)
    page: list[Standing] = []
    for index, m in enumerate(members):
        if not page:
            position = await Member.filter(xp__gt=m.xp).count() + 1
        elif page[-1].xp == m.xp:
            position = page[-1].position
        else:
            position = offset + index + 1
        page.append(Standing(m.user_id, m.xp, level_for(m.xp), m.message_count, position))
    return page, total
