"""/tenant: the bot owners' view of and control over any guild's instance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.cogs.tenant._cog import TenantAdmin

if TYPE_CHECKING:
    from app.bot import GuildhallBot


def setup(bot: GuildhallBot) -> None:
    """Load the feature (called by ``bot.load_extension``)."""
    bot.add_cog(TenantAdmin(bot))
