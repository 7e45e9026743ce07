"""/tag: named snippets of text, kept per guild."""

from disnake.ext import commands

from app.cogs.tags._cog import Tags


def setup(bot: commands.InteractionBot) -> None:
    """Load the feature (called by ``bot.load_extension``)."""
    bot.add_cog(Tags(bot))
