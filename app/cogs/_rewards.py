"""Role rewards of the bound guild: which role a member gets at which level.

Call every function inside ``async with guild_db(guild_id):``. The rewards are read when a
member levels up (rare) and by ``/xp sync``, so they are not cached.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app.models.tenant import RoleReward
from app.tenancy import TENANT_ALIAS

#: Levels a reward may be set at (level 1000 takes about 1.7 billion XP).
LEVEL_MIN, LEVEL_MAX = 1, 1000


async def set_reward(level: int, role_id: int) -> int | None:
    """Give ``role_id`` at ``level`` (replacing that level's reward); returns the role it
    replaced, if any."""
    async with in_transaction(TENANT_ALIAS) as conn:
        # get_or_create settles two moderators adding the same level at once.
        found, created = await RoleReward.get_or_create(
            level=level, defaults={"role_id": role_id}, using_db=conn
        )
        if created or found.role_id == role_id:
            return None
        await RoleReward.filter(id=found.id).using_db(conn).update(role_id=role_id)
        return int(found.role_id)


async def remove_reward(level: int) -> int | None:
    """Remove the reward at ``level``; returns its role id, or None if there was none."""
    found = await RoleReward.get_or_none(level=level)
    if found is None or not await RoleReward.filter(id=found.id).delete():
        return None
    return int(found.role_id)


async def rewards() -> list[RoleReward]:
    """Every reward, lowest level first."""
    return await RoleReward.all().order_by("level")
