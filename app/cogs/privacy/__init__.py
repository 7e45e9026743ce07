"""/privacy: a member's own data — forget me or export it here, stop or resume XP tracking
everywhere."""

from disnake.ext import commands

from app.cogs.privacy._cog import Privacy


def setup(bot: commands.InteractionBot) -> None:
    """Load the feature (called by ``bot.load_extension``)."""
    bot.add_cog(Privacy(bot))
