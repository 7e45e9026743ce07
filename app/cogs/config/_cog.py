"""The /config commands: a guild's own settings, for members with Manage Server.

Discord shows /config only to members with Manage Server (``default_member_permissions``);
a guild's admins may delegate it in Server Settings → Integrations. Every change is stored in
the guild's ``guild_settings`` row and announced, so every bot process serving the guild
drops its cached copy (:mod:`app.cogs._guild_settings`). Replies are ephemeral.
"""

from __future__ import annotations

from typing import Any

import disnake
from disnake.ext import commands

from app.cogs import _guild_settings as settings
from app.cogs import _rewards as rewards
from app.cogs._common import CommandInter, GuildInter, reply, tr
from app.cogs._reward_roles import role_problem
from app.cogs._templates import LEVEL_UP_PLACEHOLDERS, check_template
from app.cogs.config._helpers import answer, cache_settings, choices, named, option, save
from app.cogs.config._show import describe
from app.i18n import UserFacingError, localized
from app.models.tenant import LEVEL_UP_TEMPLATE_MAX
from app.tenancy import guild_db

#: /config language values: each member's own language, or one for the whole guild.
LANGUAGE_MEMBER = "member"
LANGUAGE_CHOICES = {
    LANGUAGE_MEMBER: "CHOICE_LANGUAGE_MEMBER",
    "en-US": "CHOICE_LANGUAGE_EN",
    "fr": "CHOICE_LANGUAGE_FR",
}
LEVEL_UP_CHOICES = {
    settings.LEVEL_UP_OFF: "CHOICE_LEVEL_UP_OFF",
    settings.LEVEL_UP_SAME: "CHOICE_LEVEL_UP_SAME",
    settings.LEVEL_UP_CHANNEL: "CHOICE_LEVEL_UP_CHANNEL",
}
LEVEL_UP_REPLIES = {
    settings.LEVEL_UP_OFF: "config.level_up_off",
    settings.LEVEL_UP_SAME: "config.level_up_same",
    settings.LEVEL_UP_CHANNEL: "config.level_up_channel",
}
LANGUAGE_REPLIES = {
    LANGUAGE_MEMBER: "config.language_member",
    "en-US": "config.language_en",
    "fr": "config.language_fr",
}


async def change_no_xp(inter: GuildInter, channel: disnake.TextChannel, *, no_xp: bool) -> None:
    """Make ``channel`` a no-XP channel (or a counted one again) and say so."""
    async with guild_db(inter.guild_id):
        changed = await settings.set_no_xp_channel(inter.guild_id, channel.id, no_xp=no_xp)
        new = await settings.current(inter.guild_id)
    if not changed:
        raise UserFacingError(
            "config.no_xp_already" if no_xp else "config.no_xp_not", channel=channel.mention
        )
    key = "config.no_xp_added" if no_xp else "config.no_xp_removed"
    await answer(inter, new, key, channel=channel.mention)


class Config(commands.Cog):
    """/config, and the guild's settings cached before every command (for its language)."""

    def __init__(self, bot: commands.InteractionBot) -> None:
        self.bot = bot

    async def bot_slash_command_check(self, inter: CommandInter) -> bool:
        """Before any slash command: have the guild's settings cached (replies use its
        language); never refuses — the command itself reports a disabled guild."""
        await cache_settings(inter)
        return True

    async def bot_user_command_check(self, inter: CommandInter) -> bool:
        """The same for context-menu commands on members."""
        await cache_settings(inter)
        return True

    @commands.slash_command(
        name=localized("CONFIG_NAME"),
        description=localized("CONFIG_DESCRIPTION"),
        default_member_permissions=disnake.Permissions(manage_guild=True),
    )
    async def config(self, inter: GuildInter) -> None:
        """Parent of the /config sub-commands (never runs on its own)."""

    @config.sub_command(**named("CONFIG_SHOW"))
    async def show(self, inter: GuildInter) -> None:
        """Show every setting of this guild."""
        async with guild_db(inter.guild_id):
            found = await settings.current(inter.guild_id)
        await inter.response.send_message(describe(inter, found), ephemeral=True)

    @config.sub_command(**named("CONFIG_XP"))
    async def xp(self, inter: GuildInter, enabled: bool = option("CONFIG_ENABLED")) -> None:
        """Turn XP counting on or off for the whole guild."""
        await save(inter, {"xp_enabled": enabled}, "config.xp_on" if enabled else "config.xp_off")

    @config.sub_command_group(name=localized("CONFIG_NO_XP_NAME"))
    async def no_xp(self, inter: GuildInter) -> None:
        """Parent of /config no-xp add|remove (never runs on its own)."""

    @no_xp.sub_command(**named("CONFIG_NO_XP_ADD"))
    async def no_xp_add(
        self,
        inter: GuildInter,
        channel: disnake.TextChannel = option("CONFIG_CHANNEL"),  # noqa: B008 (disnake's Param idiom)
    ) -> None:
        """Stop counting messages posted in a channel."""
        await change_no_xp(inter, channel, no_xp=True)

    @no_xp.sub_command(**named("CONFIG_NO_XP_REMOVE"))
    async def no_xp_remove(
        self,
        inter: GuildInter,
        channel: disnake.TextChannel = option("CONFIG_CHANNEL"),  # noqa: B008 (disnake's Param idiom)
    ) -> None:
        """Count messages posted in a channel again."""
        await change_no_xp(inter, channel, no_xp=False)

    @config.sub_command(**named("CONFIG_LEVEL_UP"))
    async def level_up(
        self,
        inter: GuildInter,
        mode: str = option("CONFIG_LEVEL_UP_MODE", choices=choices(LEVEL_UP_CHOICES)),
        channel: disnake.TextChannel | None = option("CONFIG_LEVEL_UP_CHANNEL", None),  # noqa: B008
        template: str | None = option("CONFIG_TEMPLATE", None),
        builtin: bool = option("CONFIG_BUILTIN", False),
    ) -> None:
        """Where level-ups are announced, and with which message (``{member}``, ``{level}``);
        ``builtin`` goes back to the built-in message."""
        if mode == settings.LEVEL_UP_CHANNEL and channel is None:
            raise UserFacingError("config.level_up_needs_channel")
        if builtin and template is not None:
            raise UserFacingError("config.level_up_message_or_builtin")
        changes: dict[str, Any] = {
            "level_up_mode": mode,
            "level_up_channel_id": channel.id
            if mode == settings.LEVEL_UP_CHANNEL and channel
            else None,
        }
        if template is not None:
            changes["level_up_template"] = check_template(
                template, LEVEL_UP_PLACEHOLDERS, LEVEL_UP_TEMPLATE_MAX
            )
        elif builtin:
            changes["level_up_template"] = None
        mention = channel.mention if channel is not None else ""
        await save(inter, changes, LEVEL_UP_REPLIES[mode], channel=mention)

    @config.sub_command(**named("CONFIG_TAG_ROLE"))
    async def tag_role(
        self,
        inter: GuildInter,
        role: disnake.Role | None = option("CONFIG_ROLE", None),  # noqa: B008
    ) -> None:
        """Let only members with ``role`` create tags (no role: everyone may)."""
        role_id = None if role is None or role.is_default() else role.id
        changes = {"tag_creator_role_id": role_id}
        if role_id is None:
            await save(inter, changes, "config.tag_role_everyone")
        else:
            await save(inter, changes, "config.tag_role_set", role=f"<@&{role_id}>")

    @config.sub_command(**named("CONFIG_LANGUAGE"))
    async def language(
        self,
        inter: GuildInter,
        language: str = option("CONFIG_LANGUAGE", choices=choices(LANGUAGE_CHOICES)),
    ) -> None:
        """Reply in one language in this guild, or in each member's own."""
        chosen = None if language == LANGUAGE_MEMBER else language
        await save(inter, {"language": chosen}, LANGUAGE_REPLIES[language])

    @config.sub_command_group(name=localized("CONFIG_REWARD_NAME"))
    async def reward(self, inter: GuildInter) -> None:
        """Parent of /config reward add|remove|list (never runs on its own)."""

    @reward.sub_command(**named("CONFIG_REWARD_ADD"))
    async def reward_add(
        self,
        inter: GuildInter,
        level: int = option("CONFIG_LEVEL", ge=rewards.LEVEL_MIN, le=rewards.LEVEL_MAX),
        role: disnake.Role = option("CONFIG_REWARD_ROLE"),  # noqa: B008 (disnake's Param idiom)
    ) -> None:
        """Give ``role`` to members who reach ``level`` (checked: the bot must be able to)."""
        problem = role_problem(inter.guild, role, role.id)
        if problem is not None:
            raise problem
        async with guild_db(inter.guild_id):
            replaced = await rewards.set_reward(level, role.id)
            new = await settings.current(inter.guild_id)
        if replaced is None:
            await answer(inter, new, "rewards.added", level=level, role=role.mention)
        else:
            await answer(
                inter,
                new,
                "rewards.replaced",
                level=level,
                role=role.mention,
                old=f"<@&{replaced}>",
            )

    @reward.sub_command(**named("CONFIG_REWARD_REMOVE"))
    async def reward_remove(
        self,
        inter: GuildInter,
        level: int = option("CONFIG_LEVEL", ge=rewards.LEVEL_MIN, le=rewards.LEVEL_MAX),
    ) -> None:
        """Stop giving a role at ``level`` (members who have it keep it)."""
        async with guild_db(inter.guild_id):
            removed = await rewards.remove_reward(level)
        if removed is None:
            raise UserFacingError("rewards.not_found", level=level)
        await reply(inter, "rewards.removed", level=level, role=f"<@&{removed}>")

    @reward.sub_command(**named("CONFIG_REWARD_LIST"))
    async def reward_list(self, inter: GuildInter) -> None:
        """List the role rewards, lowest level first."""
        async with guild_db(inter.guild_id):
            found = await rewards.rewards()
        if not found:
            await reply(inter, "rewards.none")
            return
        lines = [tr(inter, "rewards.line", level=r.level, role=f"<@&{r.role_id}>") for r in found]
        await reply(inter, "rewards.list", lines="\n".join(lines))
