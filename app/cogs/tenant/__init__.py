"""/tenant: the bot owners' view of and control over any guild's instance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.cogs.tenant._cog import TenantAdmin

if TYPE_CHECKING:
    from app.bot import GuildhallBot


def setup(bot: GuildhallBot) -> None:
    """Load the feature (called by ``bot.load_extension``).

    With ``OPERATOR_GUILD_IDS`` set, /tenant is registered in those servers only: nobody
    anywhere else even sees it. Its ``guild_id`` option still reaches every server.
    """
    cog = TenantAdmin(bot)
    if bot.settings.operator_guild_ids:
        # Read when commands are synced (at start-up), so setting it before add_cog suffices.
        cog.tenant.guild_ids = tuple(sorted(bot.settings.operator_guild_ids))
    bot.add_cog(cog)
