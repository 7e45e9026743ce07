"""The /note commands: moderators write, read and remove notes about members.

Discord shows /note only to members with Moderate Members (``default_member_permissions``);
a guild's admins may change who sees it in Server Settings → Integrations, which is
Discord's intended way to delegate. Every reply is ephemeral: notes are for moderators' eyes.
"""

from __future__ import annotations

from typing import Any

import disnake
from disnake.ext import commands

from app.cogs import _paging as paging
from app.cogs._common import ClickInter, GuildInter, reply, tr
from app.cogs._cooldowns import cooldown
from app.cogs.notes import _store as notes
from app.cogs.notes._views import KIND, list_message
from app.i18n import UserFacingError, localized
from app.models import rules
from app.tenancy import guild_db

#: Discord's integer options stop at 2**53; a larger id could never be typed anyway.
NOTE_ID_MAX = 2**53


def member_option() -> Any:
    """The ``member`` option (a new Param each time: disnake binds a Param to one command)."""
    return commands.Param(
        name=localized("OPTION_NOTE_MEMBER_NAME"),
        description=localized("OPTION_NOTE_MEMBER_DESCRIPTION"),
    )


def content_option() -> Any:
    """The ``content`` option."""
    return commands.Param(
        name=localized("OPTION_NOTE_CONTENT_NAME"),
        description=localized("OPTION_NOTE_CONTENT_DESCRIPTION"),
    )


def note_id_option() -> Any:
    """The ``note_id`` option (numbers as /note list shows them)."""
    return commands.Param(
        name=localized("OPTION_NOTE_ID_NAME"),
        description=localized("OPTION_NOTE_ID_DESCRIPTION"),
        ge=1,
        le=NOTE_ID_MAX,
    )


def check_content(raw: str) -> str:
    """The note as stored; raises :class:`UserFacingError` if empty or too long."""
    try:
        return rules.note_content(raw)  # the import checks rows with the same rule
    except rules.RuleViolation as exc:
        raise UserFacingError(exc.code, **exc.params) from None


class Notes(commands.Cog):
    """Moderators' notes about members."""

    def __init__(self, bot: commands.InteractionBot) -> None:
        self.bot = bot

    @commands.slash_command(
        name=localized("NOTE_NAME"),
        description=localized("NOTE_DESCRIPTION"),
        default_member_permissions=disnake.Permissions(moderate_members=True),
    )
    async def note(self, inter: GuildInter) -> None:
        """Parent of the /note sub-commands (never runs on its own)."""

    @note.sub_command(
        name=localized("NOTE_ADD_NAME"), description=localized("NOTE_ADD_DESCRIPTION")
    )
    @cooldown("note_add")
    async def add(
        self,
        inter: GuildInter,
        member: disnake.User = member_option(),  # noqa: B008 (disnake's Param idiom)
        content: str = content_option(),
    ) -> None:
        """Write a note about a member."""
        content = check_content(content)
        async with guild_db(inter.guild_id):
            added = await notes.add(member.id, inter.author.id, content)
        await reply(inter, "note.added", id=added.id, member=member.mention)

    @note.sub_command(
        name=localized("NOTE_LIST_NAME"), description=localized("NOTE_LIST_DESCRIPTION")
    )
    async def list_(
        self,
        inter: GuildInter,
        member: disnake.User = member_option(),  # noqa: B008 (disnake's Param idiom)
    ) -> None:
        """Read the notes about a member, newest first, a page at a time."""
        title = tr(inter, "note.list_title", member=member.display_name)
        message = await list_message(inter, inter.guild_id, member.id, 0, title)
        if message is None:
            await reply(inter, "note.none", member=member.mention)
            return
        await inter.response.send_message(**message, ephemeral=True)

    @commands.Cog.listener("on_button_click")
    async def turn_page(self, inter: ClickInter) -> None:
        """A click on ◀ or ▶ under /note list: show that page in place."""
        request = paging.parse(inter.data.custom_id, KIND)
        if request is None or request.argument is None or inter.guild_id is None:
            return
        embeds = inter.message.embeds
        title = (embeds[0].title if embeds else None) or ""
        message = await list_message(inter, inter.guild_id, request.argument, request.page, title)
        if message is None:  # every note was removed meanwhile
            await inter.response.edit_message(
                content=tr(inter, "note.none", member=f"<@{request.argument}>"),
                embed=None,
                components=[],
            )
            return
        await inter.response.edit_message(**message)

    @note.sub_command(
        name=localized("NOTE_REMOVE_NAME"), description=localized("NOTE_REMOVE_DESCRIPTION")
    )
    async def remove(
        self,
        inter: GuildInter,
        note_id: int = note_id_option(),
    ) -> None:
        """Remove a note by its number (shown by /note list)."""
        async with guild_db(inter.guild_id):
            removed = await notes.remove(note_id)
        if not removed:
            raise UserFacingError("note.not_found", id=note_id)
        await reply(inter, "note.removed", id=note_id)

    @note.sub_command(
        name=localized("NOTE_EDIT_NAME"), description=localized("NOTE_EDIT_DESCRIPTION")
    )
    async def edit(
        self,
        inter: GuildInter,
        note_id: int = note_id_option(),
        content: str = content_option(),
    ) -> None:
        """Replace the text of a note (any moderator may; the author stays)."""
        content = check_content(content)
        async with guild_db(inter.guild_id):
            edited = await notes.edit(note_id, content)
        if edited is None:
            raise UserFacingError("note.not_found", id=note_id)
        await reply(inter, "note.edited", id=note_id)
