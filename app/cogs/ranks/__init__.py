"""/rank and /leaderboard: XP earned by chatting, kept per guild."""

from disnake.ext import commands

from app.cogs.ranks._cog import Ranks


def setup(bot: commands.InteractionBot) -> None:
    """Load the feature (called by ``bot.load_extension``)."""
    bot.add_cog(Ranks(bot))
