"""/privacy forget-me, export, opt-out and opt-in.

``forget-me`` applies the tenant models' declared ``user_data`` policies in this guild only:
the caller's member row (XP, message count) and the notes about them are deleted; tags and
notes they wrote stay, since they belong to the guild too, but show "deleted user" as their
author. Like every tenant command it is refused while the guild is disabled; the operator's
``guildhall users forget`` covers that case.

``export`` sends the caller, ephemerally, a JSON file of the same rows (the right of access
beside the right to erasure) and their opt-out.

``opt-out`` / ``opt-in`` stop or resume XP tracking for the caller in every guild (the shared
``User`` table). They work even in a disabled guild: they touch no guild's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import disnake
from disnake.ext import commands

from app.cogs._common import ButtonInter, GuildInter, reply, tr
from app.cogs.privacy import _store as privacy
from app.cogs.privacy._export import send_export
from app.i18n import localized
from app.tenancy import guild_db

#: Custom ids of the confirmation's buttons: stateless (the user id is in the id), so a
#: confirmation still works after a restart and nobody else's click can act on it.
if TYPE_CHECKING:
    from app.bot import GuildhallBot

CONFIRM_PREFIX = "privacy:forget-me:confirm:"
CANCEL_PREFIX = "privacy:forget-me:cancel:"


class Privacy(commands.Cog):
    """A member's control over their own data."""

    def __init__(self, bot: GuildhallBot) -> None:
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
        """Ask the caller to confirm (a button) before their data in this guild is deleted."""
        async with guild_db(inter.guild_id):
            pass  # a disabled guild refuses here, like every tenant command, before any question
        user = inter.author.id
        buttons = [
            disnake.ui.Button(
                style=disnake.ButtonStyle.danger,
                label=tr(inter, "privacy.forget_confirm_button"),
                custom_id=f"{CONFIRM_PREFIX}{user}",
            ),
            disnake.ui.Button(
                style=disnake.ButtonStyle.secondary,
                label=tr(inter, "privacy.forget_cancel_button"),
                custom_id=f"{CANCEL_PREFIX}{user}",
            ),
        ]
        await inter.response.send_message(
            tr(inter, "privacy.forget_confirm"), components=buttons, ephemeral=True
        )

    @commands.Cog.listener("on_button_click")
    async def on_forget_me_button(self, inter: ButtonInter) -> None:
        """The confirmation's answer: delete (only for the user who asked) or leave it."""
        custom_id = inter.data.custom_id
        if not custom_id.startswith((CONFIRM_PREFIX, CANCEL_PREFIX)):
            return
        if inter.guild_id is None or custom_id.rsplit(":", 1)[1] != str(inter.author.id):
            await inter.response.send_message(tr(inter, "errors.not_allowed"), ephemeral=True)
            return
        if custom_id.startswith(CANCEL_PREFIX):
            await inter.response.edit_message(tr(inter, "privacy.forget_cancelled"), components=[])
            return
        try:
            async with guild_db(inter.guild_id):
                touched = await privacy.forget_here(inter.author.id)
        except Exception as exc:  # the slash commands' one error handler answers it
            await self.bot.answer_error(inter, exc)
            return
        text = tr(inter, "privacy.forgotten", count=sum(touched.values()))
        await inter.response.edit_message(text, components=[])

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

    @privacy.sub_command(
        name=localized("PRIVACY_EXPORT_NAME"), description=localized("PRIVACY_EXPORT_DESCRIPTION")
    )
    async def export(self, inter: GuildInter) -> None:
        """Send the caller their data in this guild as a JSON file, only for them to see."""
        await send_export(inter)
