"""The /tag commands. Anyone may create and show tags; the author or a member with Manage
Messages may edit or delete one. Names are unique per guild, case-insensitively."""

from __future__ import annotations

from typing import Any

from disnake.ext import commands

from app.cogs import _guild_settings as guild_settings
from app.cogs._common import CommandInter, GuildInter, reply, shown, tr
from app.cogs.tags import _store as tags
from app.cogs.tags._rules import check_content, check_name
from app.i18n import UserFacingError, localized
from app.models.tenant import Tag
from app.tenancy import TenancyError, guild_db

#: How many tags /tag list reads, and how many characters of names it shows (a message holds
#: 2,000 characters: the rest is for the sentence around them).
LIST_LIMIT = 100
NAMES_BUDGET = 1700


async def complete_tag_name(inter: CommandInter, typed: str) -> list[str]:
    """Tag names of this guild that start with what the user typed so far."""
    if inter.guild_id is None:
        return []
    try:
        async with guild_db(inter.guild_id):
            return await tags.names_starting_with(typed.strip()[:100])
    except TenancyError:
        return []  # a disabled or unknown guild offers nothing; the command will say why


def name_option(*, autocomplete: bool) -> Any:
    """The ``name`` option (a new Param each time: disnake binds a Param to one command)."""
    return commands.Param(
        name=localized("OPTION_TAG_NAME_NAME"),
        description=localized("OPTION_TAG_NAME_DESCRIPTION"),
        autocomplete=complete_tag_name if autocomplete else None,
    )


def content_option() -> Any:
    """The ``content`` option."""
    return commands.Param(
        name=localized("OPTION_TAG_CONTENT_NAME"),
        description=localized("OPTION_TAG_CONTENT_DESCRIPTION"),
    )


def fit_names(found: list[Tag], budget: int) -> list[str]:
    """As many tag names (as inline code) as fit in ``budget`` characters, in order."""
    names: list[str] = []
    used = 0
    for tag in found:
        name = f"`{tag.name}`" if "`" not in tag.name else shown(tag.name)
        used += len(name) + 2
        if used > budget:
            break
        names.append(name)
    return names


def ensure_may_change(inter: GuildInter, tag: Tag) -> None:
    """Only the author or a member with Manage Messages may edit or delete a tag."""
    if tag.author_id != inter.author.id and not inter.permissions.manage_messages:
        raise UserFacingError("tag.not_yours", name=shown(tag.name))


def ensure_may_create(inter: GuildInter, config: guild_settings.GuildConfig) -> None:
    """With a tag-creator role set (``/config tag-role``), only its members (and members
    with Manage Server) may create tags."""
    role_id = config.tag_creator_role_id
    if role_id is None or inter.permissions.manage_guild:
        return
    roles = getattr(inter.author, "roles", [])
    if not any(role.id == role_id for role in roles):
        raise UserFacingError("tag.creator_role", role=f"<@&{role_id}>")


class Tags(commands.Cog):
    """Create, show, edit, delete and list tags."""

    def __init__(self, bot: commands.InteractionBot) -> None:
        self.bot = bot

    @commands.slash_command(name=localized("TAG_NAME"), description=localized("TAG_DESCRIPTION"))
    async def tag(self, inter: GuildInter) -> None:
        """Parent of the /tag sub-commands (never runs on its own)."""

    @tag.sub_command(
        name=localized("TAG_CREATE_NAME"), description=localized("TAG_CREATE_DESCRIPTION")
    )
    async def create(
        self,
        inter: GuildInter,
        name: str = name_option(autocomplete=False),
        content: str = content_option(),
    ) -> None:
        """Create a tag under a name nobody used yet."""
        name, content = check_name(name), check_content(content)
        async with guild_db(inter.guild_id):
            ensure_may_create(inter, await guild_settings.current(inter.guild_id))
            created = await tags.create(name, content, author_id=inter.author.id)
        if created is None:
            raise UserFacingError("tag.exists", name=shown(name))
        await reply(inter, "tag.created", name=shown(name))

    @tag.sub_command(name=localized("TAG_SHOW_NAME"), description=localized("TAG_SHOW_DESCRIPTION"))
    async def show(self, inter: GuildInter, name: str = name_option(autocomplete=True)) -> None:
        """Post a tag's content in the channel and count the use."""
        name = check_name(name)
        async with guild_db(inter.guild_id):
            found = await tags.use(name)
        if found is None:
            raise UserFacingError("tag.not_found", name=shown(name))
        await inter.response.send_message(found.content)

    @tag.sub_command(name=localized("TAG_EDIT_NAME"), description=localized("TAG_EDIT_DESCRIPTION"))
    async def edit(
        self,
        inter: GuildInter,
        name: str = name_option(autocomplete=True),
        content: str = content_option(),
    ) -> None:
        """Replace the content of a tag you wrote (or any tag, with Manage Messages)."""
        name, content = check_name(name), check_content(content)
        async with guild_db(inter.guild_id):
            found = await tags.get(name)
            if found is None:
                raise UserFacingError("tag.not_found", name=shown(name))
            ensure_may_change(inter, found)
            if not await tags.edit(found.id, content):
                raise UserFacingError("tag.not_found", name=shown(name))
        await reply(inter, "tag.edited", name=shown(found.name))

    @tag.sub_command(
        name=localized("TAG_DELETE_NAME"), description=localized("TAG_DELETE_DESCRIPTION")
    )
    async def delete(self, inter: GuildInter, name: str = name_option(autocomplete=True)) -> None:
        """Delete a tag you wrote (or any tag, with Manage Messages)."""
        name = check_name(name)
        async with guild_db(inter.guild_id):
            found = await tags.get(name)
            if found is None:
                raise UserFacingError("tag.not_found", name=shown(name))
            ensure_may_change(inter, found)
            await tags.delete(found.id)
        await reply(inter, "tag.deleted", name=shown(found.name))

    @tag.sub_command(name=localized("TAG_LIST_NAME"), description=localized("TAG_LIST_DESCRIPTION"))
    async def list_(self, inter: GuildInter) -> None:
        """List the guild's tags alphabetically."""
        async with guild_db(inter.guild_id):
            found, total = await tags.listing(LIST_LIMIT)
        if not found:
            await reply(inter, "tag.list_empty")
            return
        names = fit_names(found, NAMES_BUDGET)
        text = tr(inter, "tag.list", count=total, names=", ".join(names))
        if total > len(names):
            text += "\n" + tr(inter, "tag.list_more", count=total - len(names))
        await inter.response.send_message(text, ephemeral=True)
