"""/config: a guild's own settings (XP, level-up announcements, tag creators, language)."""

from disnake.ext import commands

from app.cogs.config._cog import Config


def setup(bot: commands.InteractionBot) -> None:
    """Load the feature (called by ``bot.load_extension``)."""
    bot.add_cog(Config(bot))
