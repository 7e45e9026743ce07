"""/privacy: a member's own data — forget me or export it here, stop or resume XP tracking
everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.cogs.privacy._cog import Privacy

if TYPE_CHECKING:
    from app.bot import GuildhallBot


def setup(bot: GuildhallBot) -> None:
    """Load the feature (called by ``bot.load_extension``)."""
    bot.add_cog(Privacy(bot))
