"""The /note commands: moderators write, read and remove notes about members.

Discord shows /note only to members with Moderate Members (``default_member_permissions``);
a guild's admins may change who sees it in Server Settings → Integrations, which is
Discord's intended way to delegate. Every reply is ephemeral: notes are for moderators' eyes.
"""

from __future__ import annotations

from typing import Any

import disnake
from disnake.ext import commands

from app.cogs._common import AnyInter, GuildInter, reply, shown, tr
from app.cogs.notes import _store as notes
from app.i18n import UserFacingError, localized
from app.models import rules
from app.models.privacy import GHOST_USER_ID
from app.models.tenant import Note
from app.tenancy import guild_db

#: Notes /note list reads; an embed description holds 4,096 characters.
LIST_LIMIT = 25
DESCRIPTION_BUDGET = 3900
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


def check_content(raw: str) -> str:
    """The note as stored; raises :class:`UserFacingError` if empty or too long."""
    try:
        return rules.note_content(raw)  # the import checks rows with the same rule
    except rules.RuleViolation as exc:
        raise UserFacingError(exc.code, **exc.params) from None


def describe(inter: AnyInter, note: Note) -> str:
    """One note as a few lines of the /note list embed."""
    author = (
        tr(inter, "note.deleted_user")
        if note.author_id == GHOST_USER_ID
        else f"<@{note.author_id}>"
    )
    stamp = int(note.created_at.timestamp())
    header = tr(inter, "note.line", id=note.id, author=author, when=f"<t:{stamp}:d>")
    return f"{header}\n> {shown(note.content)}"


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
        """Read the notes about a member, newest first."""
        async with guild_db(inter.guild_id):
            found, total = await notes.about(member.id, LIST_LIMIT)
        if not found:
            await reply(inter, "note.none", member=member.mention)
            return
        blocks: list[str] = []
        for note in found:
            block = describe(inter, note)
            if sum(len(b) + 2 for b in blocks) + len(block) > DESCRIPTION_BUDGET:
                break
            blocks.append(block)
        embed = disnake.Embed(
            title=tr(inter, "note.list_title", member=member.display_name),
            description="\n\n".join(blocks),
        )
        embed.set_footer(text=tr(inter, "note.list_footer", shown=len(blocks), total=total))
        await inter.response.send_message(embed=embed, ephemeral=True)

    @note.sub_command(
        name=localized("NOTE_REMOVE_NAME"), description=localized("NOTE_REMOVE_DESCRIPTION")
    )
    async def remove(
        self,
        inter: GuildInter,
        note_id: int = commands.Param(
            name=localized("OPTION_NOTE_ID_NAME"),
            description=localized("OPTION_NOTE_ID_DESCRIPTION"),
            ge=1,
            le=NOTE_ID_MAX,
        ),
    ) -> None:
        """Remove a note by its number (shown by /note list)."""
        async with guild_db(inter.guild_id):
            removed = await notes.remove(note_id)
        if not removed:
            raise UserFacingError("note.not_found", id=note_id)
        await reply(inter, "note.removed", id=note_id)
