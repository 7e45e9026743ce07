"""The /tag commands. Anyone may create and show tags; the author or a member with Manage
Messages may edit or delete one. Names are unique per guild, case-insensitively."""

from __future__ import annotations

from disnake.ext import commands

from app.cogs import _guild_settings as guild_settings
from app.cogs import _paging as paging
from app.cogs._common import ClickInter, GuildInter, reply, shown
from app.cogs._cooldowns import cooldown
from app.cogs.tags import _alias_store as aliases
from app.cogs.tags import _store as tags
from app.cogs.tags._options import (
    content_option,
    ensure_may_change,
    ensure_may_create,
    name_option,
    query_option,
)
from app.cogs.tags._rules import check_content, check_name
from app.cogs.tags._views import LIST_KIND, SEARCH_LIMIT, describe, list_page, search_results
from app.i18n import UserFacingError, localized
from app.tenancy import guild_db


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
    @cooldown("tag_create")
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
            found = await tags.use(name) or await aliases.use_alias(name)
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
            found = await aliases.resolve(name)
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
            found = await aliases.resolve(name)
            if found is None:
                raise UserFacingError("tag.not_found", name=shown(name))
            ensure_may_change(inter, found)
            await tags.delete(found.id)  # its aliases go with it (ON DELETE CASCADE)
        await reply(inter, "tag.deleted", name=shown(found.name))

    @tag.sub_command(name=localized("TAG_LIST_NAME"), description=localized("TAG_LIST_DESCRIPTION"))
    async def list_(self, inter: GuildInter) -> None:
        """List the guild's tags alphabetically, a page at a time."""
        await inter.response.send_message(
            **await list_page(inter, inter.guild_id, 0), ephemeral=True
        )

    @commands.Cog.listener("on_button_click")
    async def turn_page(self, inter: ClickInter) -> None:
        """A click on ◀ or ▶ under /tag list: show that page in place."""
        await paging.turn(inter, LIST_KIND, list_page)

    @tag.sub_command(
        name=localized("TAG_ALIAS_NAME"), description=localized("TAG_ALIAS_DESCRIPTION")
    )
    async def alias(
        self,
        inter: GuildInter,
        name: str = name_option(autocomplete=True),
        alias: str = name_option(autocomplete=False, key="TAG_ALIAS"),
    ) -> None:
        """Give a tag another name (allowed to whoever may create tags)."""
        name, alias = check_name(name), check_name(alias)
        async with guild_db(inter.guild_id):
            ensure_may_create(inter, await guild_settings.current(inter.guild_id))
            found = await aliases.resolve(name)
            if found is None:
                raise UserFacingError("tag.not_found", name=shown(name))
            if not await aliases.add_alias(found, alias, inter.author.id):
                raise UserFacingError("tag.alias_taken", name=shown(alias))
        await reply(inter, "tag.aliased", alias=shown(alias), name=shown(found.name))

    @tag.sub_command(name=localized("TAG_INFO_NAME"), description=localized("TAG_INFO_DESCRIPTION"))
    async def info(self, inter: GuildInter, name: str = name_option(autocomplete=True)) -> None:
        """Who wrote a tag, how often it was used, when it was made, and its aliases."""
        name = check_name(name)
        async with guild_db(inter.guild_id):
            found = await aliases.resolve(name)
            if found is None:
                raise UserFacingError("tag.not_found", name=shown(name))
            names = await aliases.aliases_of(found.id)
        await inter.response.send_message(embed=describe(inter, found, names), ephemeral=True)

    @tag.sub_command(
        name=localized("TAG_SEARCH_NAME"), description=localized("TAG_SEARCH_DESCRIPTION")
    )
    async def search(self, inter: GuildInter, query: str = query_option()) -> None:
        """Tags whose name, alias or content holds the words typed."""
        query = query.strip()
        if not query:
            raise UserFacingError("tag.query_empty")
        async with guild_db(inter.guild_id):
            found, total = await aliases.search(query, SEARCH_LIMIT)
        await inter.response.send_message(
            search_results(inter, query, found, total), ephemeral=True
        )
