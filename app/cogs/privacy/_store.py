"""A user's own data: forgetting or exporting it in the bound guild, and their global XP
opt-out."""

from __future__ import annotations

from app.tenancy import current_tenancy, forget_user_in_bound_guild, user_rows_in_bound_guild


async def forget_here(user_id: int) -> dict[str, int]:
    """Apply every tenant model's ``user_data`` policy to ``user_id`` in the bound guild.

    Must run inside ``async with guild_db(guild_id):``. Returns rows touched per table.
    """
    return await forget_user_in_bound_guild(user_id)


async def set_opt_out(user_id: int, opted_out: bool) -> None:
    """Record whether XP tracking is off for the user in every guild (shared ``User`` row);
    every bot process drops its cached answer."""
    await current_tenancy().opt_outs.set(user_id, opted_out)


async def rows_here(user_id: int) -> dict[str, list[dict[str, object]]]:
    """The rows holding ``user_id``'s data in the bound guild, per table (JSON-ready).

    Must run inside ``async with guild_db(guild_id):``.
    """
    return await user_rows_in_bound_guild(user_id)


async def is_opted_out(user_id: int) -> bool:
    """Whether the user turned XP tracking off everywhere (``/privacy opt-out``)."""
    return await current_tenancy().opt_outs.is_opted_out(user_id)
