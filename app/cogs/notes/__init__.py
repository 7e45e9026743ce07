"""/note: moderators' private notes about members, kept per guild."""

from disnake.ext import commands

from app.cogs.notes._cog import Notes
from app.cogs.notes._menu import NoteMenu


def setup(bot: commands.InteractionBot) -> None:
    """Load the feature (called by ``bot.load_extension``)."""
    bot.add_cog(Notes(bot))
    bot.add_cog(NoteMenu(bot))
