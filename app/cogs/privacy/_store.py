"""A user's own data: forgetting them in the bound guild, and their global XP opt-out."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from app.models.shared import User
from app.tenancy import forget_user_in_bound_guild


async def forget_here(user_id: int) -> dict[str, int]:
    """Apply every tenant model's ``user_data`` policy to ``user_id`` in the bound guild.

    Must run inside ``async with guild_db(guild_id):``. Returns rows touched per table.
    """
    return await forget_user_in_bound_guild(user_id)


async def set_opt_out(user_id: int, opted_out: bool) -> None:
    """Record whether XP tracking is off for the user in every guild (shared ``User`` row)."""
    if await User.filter(user_id=user_id).update(tracking_opt_out=opted_out):
        return
    if not opted_out:
        return  # no row means "tracked": opting in needs none
    try:
        await User.create(user_id=user_id, tracking_opt_out=True)
    except IntegrityError:
        # Created concurrently (another shard, a double click): set it on that row.
        await User.filter(user_id=user_id).update(tracking_opt_out=True)
