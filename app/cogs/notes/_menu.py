"""The member context menu "Add note": right-click a member, write the note in a modal.

The modal's ``custom_id`` carries the member's id (``gh:note-add:<id>``), so its submission
needs no state in the bot. Discord shows the menu only to members with Moderate Members;
the submission is checked again, since a modal answers whoever submits it.
"""

from __future__ import annotations

import disnake
from disnake.ext import commands

from app.cogs._common import CommandInter, ModalInter, reply, tr
from app.cogs.notes import _store as notes
from app.cogs.notes._cog import check_content
from app.i18n import UserFacingError, localized
from app.models.tenant import NOTE_CONTENT_MAX
from app.tenancy import guild_db

MODAL_PREFIX = "gh:note-add:"
FIELD = "content"


def target_of(custom_id: str) -> int | None:
    """The member id an "Add note" modal is about, or None for another modal."""
    if not custom_id.startswith(MODAL_PREFIX):
        return None
    tail = custom_id.removeprefix(MODAL_PREFIX)
    return int(tail) if tail.isdigit() else None


class NoteMenu(commands.Cog):
    """The "Add note" member context menu and its modal."""

    def __init__(self, bot: commands.InteractionBot) -> None:
        self.bot = bot

    @commands.user_command(
        name=localized("NOTE_ADD_MENU"),
        default_member_permissions=disnake.Permissions(moderate_members=True),
    )
    async def add_note(self, inter: CommandInter, member: disnake.User) -> None:
        """Open a modal to write a note about ``member``."""
        await inter.response.send_modal(
            title=tr(inter, "note.modal_title", member=member.display_name)[:45],
            custom_id=f"{MODAL_PREFIX}{member.id}",
            components=[
                disnake.ui.TextInput(
                    label=tr(inter, "note.modal_label"),
                    custom_id=FIELD,
                    style=disnake.TextInputStyle.paragraph,
                    placeholder=tr(inter, "note.modal_placeholder")[:100],
                    max_length=NOTE_CONTENT_MAX,
                )
            ],
        )

    @commands.Cog.listener("on_modal_submit")
    async def save_note(self, inter: ModalInter) -> None:
        """Save the note written in an "Add note" modal."""
        target = target_of(inter.custom_id)
        if target is None or inter.guild_id is None:
            return
        # Refusals (and a disabled guild) reach the bot's error handler, which answers.
        if not inter.permissions.moderate_members:
            raise UserFacingError("note.not_moderator")
        content = check_content(inter.text_values.get(FIELD, ""))
        async with guild_db(inter.guild_id):
            added = await notes.add(target, inter.author.id, content)
        await reply(inter, "note.added", id=added.id, member=f"<@{target}>")
