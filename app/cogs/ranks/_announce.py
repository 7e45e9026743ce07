"""Level-up announcements: where ``/config level-up`` says, in the guild's language."""

from __future__ import annotations

import logging

import disnake

from app.cogs import _guild_settings as settings
from app.cogs._guild_settings import GuildConfig
from app.cogs._templates import fill
from app.cogs.ranks._levels import level_for
from app.i18n import translate

log = logging.getLogger(__name__)


def levelled_up(total: int, gain: int) -> int | None:
    """The level reached if earning ``gain`` XP (for ``total`` now) crossed one, else None."""
    after = level_for(total)
    return after if after > level_for(total - gain) else None


def announcement(config: GuildConfig, guild: disnake.Guild, member: str, level: int) -> str:
    """The level-up text: the guild's template, else the built-in one in its language."""
    if config.level_up_template:
        return fill(config.level_up_template, member=member, level=level)
    language = config.language or guild.preferred_locale
    return translate(language, "level_up.default", member=member, level=level)


def target(config: GuildConfig, message: disnake.Message) -> disnake.abc.Messageable | None:
    """Where to announce: the member's channel, the chosen one, or nowhere (None)."""
    if config.level_up_mode == settings.LEVEL_UP_SAME:
        return message.channel
    if config.level_up_mode == settings.LEVEL_UP_CHANNEL and message.guild is not None:
        channel = message.guild.get_channel(config.level_up_channel_id or 0)
        if isinstance(channel, disnake.abc.Messageable):
            return channel
        log.warning("the level-up channel %s no longer exists", config.level_up_channel_id)
    return None


async def announce(config: GuildConfig, message: disnake.Message, level: int) -> None:
    """Announce that the author of ``message`` reached ``level`` (if the guild wants it)."""
    channel = target(config, message)
    if channel is None or message.guild is None:
        return
    text = announcement(config, message.guild, message.author.mention, level)
    try:
        # The bot mentions nobody by default; the member who levelled up is pinged.
        await channel.send(text, allowed_mentions=disnake.AllowedMentions(users=[message.author]))
    except disnake.HTTPException as exc:
        log.warning(
            "could not announce a level-up in channel %s: %s", getattr(channel, "id", "?"), exc
        )
