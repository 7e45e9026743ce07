"""The /tag commands' options and permission checks."""

from __future__ import annotations

from typing import Any

from disnake.ext import commands

from app.cogs import _guild_settings as guild_settings
from app.cogs._common import CommandInter, GuildInter, shown
from app.cogs.tags import _store as tags
from app.i18n import UserFacingError, localized
from app.models.tenant import Tag
from app.tenancy import TenancyError, guild_db


async def complete_tag_name(inter: CommandInter, typed: str) -> list[str]:
    """Tag names of this guild that start with what the user typed so far."""
    if inter.guild_id is None:
        return []
    try:
        async with guild_db(inter.guild_id):
            return await tags.names_starting_with(typed.strip()[:100])
    except TenancyError:
        return []  # a disabled or unknown guild offers nothing; the command will say why


def name_option(*, autocomplete: bool, key: str = "TAG_NAME") -> Any:
    """The ``name`` option (a new Param each time: disnake binds a Param to one command)."""
    return commands.Param(
        name=localized(f"OPTION_{key}_NAME"),
        description=localized(f"OPTION_{key}_DESCRIPTION"),
        autocomplete=complete_tag_name if autocomplete else None,
    )


def query_option() -> Any:
    """The ``query`` option of /tag search."""
    return commands.Param(
        name=localized("OPTION_TAG_QUERY_NAME"),
        description=localized("OPTION_TAG_QUERY_DESCRIPTION"),
        min_length=1,
        max_length=100,
    )


def content_option() -> Any:
    """The ``content`` option."""
    return commands.Param(
        name=localized("OPTION_TAG_CONTENT_NAME"),
        description=localized("OPTION_TAG_CONTENT_DESCRIPTION"),
    )


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
