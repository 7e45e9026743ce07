"""/privacy forget-me, opt-out and opt-in.

``forget-me`` applies the tenant models' declared ``user_data`` policies in this guild only:
the caller's member row (XP, message count) and the notes about them are deleted; tags and
notes they wrote stay, since they belong to the guild too, but show "deleted user" as their
author. Like every tenant command it is refused while the guild is disabled; the operator's
``guildhall users forget`` covers that case.

``opt-out`` / ``opt-in`` stop or resume XP tracking for the caller in every guild (the shared
``User`` table). They work even in a disabled guild: they touch no guild's data.
"""

from __future__ import annotations

from disnake.ext import commands

from app.cogs._common import GuildInter, reply
from app.cogs.privacy import _store as privacy
from app.i18n import localized
from app.tenancy import guild_db


class Privacy(commands.Cog):
    """A member's control over their own data."""

    def __init__(self, bot: commands.InteractionBot) -> None:
        self.bot = bot

    @commands.slash_command(
        name=localized("PRIVACY_NAME"), description=localized("PRIVACY_DESCRIPTION")
    )
    async def privacy(self, inter: GuildInter) -> None:
        """Parent of the /privacy sub-commands (never runs on its own)."""

    @privacy.sub_command(
        name=localized("PRIVACY_FORGET_ME_NAME"),
        description=localized("PRIVACY_FORGET_ME_DESCRIPTION"),
    )
    async def forget_me(self, inter: GuildInter) -> None:
        """Delete the caller's data in this guild; anonymise what they wrote."""
        async with guild_db(inter.guild_id):
            touched = await privacy.forget_here(inter.author.id)
        await reply(inter, "privacy.forgotten", count=sum(touched.values()))

    @privacy.sub_command(
        name=localized("PRIVACY_OPT_OUT_NAME"), description=localized("PRIVACY_OPT_OUT_DESCRIPTION")
    )
    async def opt_out(self, inter: GuildInter) -> None:
        """Stop counting XP for the caller in every guild."""
        await privacy.set_opt_out(inter.author.id, True)
        await reply(inter, "privacy.opted_out")

    @privacy.sub_command(
        name=localized("PRIVACY_OPT_IN_NAME"), description=localized("PRIVACY_OPT_IN_DESCRIPTION")
    )
    async def opt_in(self, inter: GuildInter) -> None:
        """Count XP for the caller again, in every guild."""
        await privacy.set_opt_out(inter.author.id, False)
        await reply(inter, "privacy.opted_in")
