"""/rank and /leaderboard: XP earned by chatting, kept per guild; /xp for moderators."""

from disnake.ext import commands

from app.cogs.ranks._board import Leaderboard
from app.cogs.ranks._cog import Ranks
from app.cogs.ranks._xp_cog import XpAdmin


def setup(bot: commands.InteractionBot) -> None:
    """Load the feature (called by ``bot.load_extension``)."""
    bot.add_cog(Ranks(bot))
    bot.add_cog(Leaderboard(bot))
    bot.add_cog(XpAdmin(bot))
