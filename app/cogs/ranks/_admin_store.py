"""Moderators' changes to a member's XP (``/xp give``, ``/xp reset``) in the bound guild.

Call every function inside ``async with guild_db(guild_id):``. Counting messages stays in
:mod:`app.cogs.ranks._store`; these set the level from the new XP both ways, since a reset
(unlike chatting) lowers it.
"""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.cogs.ranks._levels import level_for
from app.models.tenant import Member
from app.tenancy import TENANT_ALIAS

#: The most XP one /xp give adds (a member at level 100 holds about 2.2 million XP).
GIVE_MAX = 1_000_000


async def give(user_id: int, amount: int) -> Member:
    """Add ``amount`` XP to a member (creating their row); returns the member, level set."""
    async with in_transaction(TENANT_ALIAS) as conn:
        # get_or_create (in a savepoint) settles a first message creating the row meanwhile.
        await Member.get_or_create(user_id=user_id, using_db=conn)
        await Member.filter(user_id=user_id).using_db(conn).update(xp=F("xp") + amount)
        member = await Member.filter(user_id=user_id).using_db(conn).get()
        member.level = level_for(member.xp)
        await Member.filter(id=member.id).using_db(conn).update(level=member.level)
    return member


async def reset(user_id: int) -> bool:
    """Set a member's XP and level to 0 (messages stay counted); False if they had no row."""
    updated = await Member.filter(user_id=user_id).update(xp=0, level=0, last_xp_at=None)
    return bool(updated)


async def level_of(user_id: int) -> int:
    """The member's level from their XP (0 without a row)."""
    member = await Member.get_or_none(user_id=user_id)
    return 0 if member is None else level_for(member.xp)
