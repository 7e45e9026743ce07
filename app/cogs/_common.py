"""What the feature cogs share: replying in the caller's language, and text helpers."""

from __future__ import annotations

import unicodedata
from typing import Any, TypeAlias

import disnake
from disnake.interactions import (
    ApplicationCommandInteraction,
    GuildCommandInteraction,
    Interaction,
    MessageInteraction,
)

from app.i18n import translate

# disnake's interaction classes are generic in the bot type, and mypy cannot see them through
# `disnake.*` (a dynamic __all__), hence these aliases. Annotating a command with GuildInter
# also makes disnake register it for guilds only.
GuildInter: TypeAlias = GuildCommandInteraction[Any]
CommandInter: TypeAlias = ApplicationCommandInteraction[Any]
AnyInter: TypeAlias = Interaction[Any]
ButtonInter: TypeAlias = MessageInteraction[Any]


def tr(inter: AnyInter, key: str, /, **params: object) -> str:
    """The reply text ``key`` in the language of the person who ran the command."""
    return translate(inter.locale, key, **params)


async def reply(inter: AnyInter, key: str, /, *, ephemeral: bool = True, **params: object) -> None:
    """Answer the interaction with the text ``key`` (ephemeral unless told otherwise)."""
    await inter.response.send_message(tr(inter, key, **params), ephemeral=ephemeral)


def shown(text: str) -> str:
    """User-written text made safe to embed in a reply: its markdown is escaped."""
    # Formatting characters in a tag name must not restyle the sentence around it. Pings
    # are not a concern here: the bot's AllowedMentions stop every mention.
    return disnake.utils.escape_markdown(text)


def has_control_characters(text: str) -> bool:
    """True if ``text`` holds control characters or line/paragraph separators."""
    return any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text)
