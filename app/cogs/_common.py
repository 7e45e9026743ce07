"""What the feature cogs share: replying in the caller's language, and text helpers."""

from __future__ import annotations

from typing import Any, TypeAlias

import disnake
from disnake.interactions import (
    ApplicationCommandInteraction,
    GuildCommandInteraction,
    Interaction,
    MessageInteraction,
    ModalInteraction,
)

from app.cogs._guild_settings import cached
from app.i18n import translate

# disnake's interaction classes are generic in the bot type, and mypy cannot see them through
# `disnake.*` (a dynamic __all__), hence these aliases. Annotating a command with GuildInter
# also makes disnake register it for guilds only.
GuildInter: TypeAlias = GuildCommandInteraction[Any]
CommandInter: TypeAlias = ApplicationCommandInteraction[Any]
AnyInter: TypeAlias = Interaction[Any]
ClickInter: TypeAlias = MessageInteraction[Any]
ModalInter: TypeAlias = ModalInteraction[Any]


def reply_locale(inter: AnyInter) -> disnake.Locale | str:
    """The language replies are written in: the guild's (``/config language``), else the
    caller's. The guild's setting is read from this process's cache, which the config cog
    fills before each command runs."""
    if inter.guild_id is not None:
        found = cached(inter.guild_id)
        if found is not None and found.language:
            return found.language
    return inter.locale


ButtonInter: TypeAlias = MessageInteraction[Any]


def tr(inter: AnyInter, key: str, /, **params: object) -> str:
    """The reply text ``key`` in the language of the guild or of the person who ran the
    command (:func:`reply_locale`)."""
    return translate(reply_locale(inter), key, **params)


async def reply(inter: AnyInter, key: str, /, *, ephemeral: bool = True, **params: object) -> None:
    """Answer the interaction with the text ``key`` (ephemeral unless told otherwise)."""
    await inter.response.send_message(tr(inter, key, **params), ephemeral=ephemeral)


def shown(text: str) -> str:
    """User-written text made safe to embed in a reply: its markdown is escaped."""
    # Formatting characters in a tag name must not restyle the sentence around it. Pings
    # are not a concern here: the bot's AllowedMentions stop every mention.
    return disnake.utils.escape_markdown(text)
