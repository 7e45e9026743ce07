"""What the /config commands share: localized options, replies in the new language, and
loading the guild's settings before each command."""

from __future__ import annotations

import logging
from typing import Any

import disnake
from disnake.ext import commands

from app.cogs import _guild_settings as settings
from app.cogs._common import CommandInter, GuildInter
from app.i18n import localized, translate
from app.tenancy import TenancyError, guild_db

log = logging.getLogger(__name__)


def option(key: str, default: Any = ..., **extra: Any) -> Any:
    """An option named and described by ``OPTION_<key>_NAME`` / ``_DESCRIPTION``."""
    return commands.Param(
        default,
        name=localized(f"OPTION_{key}_NAME"),
        description=localized(f"OPTION_{key}_DESCRIPTION"),
        **extra,
    )


def named(key: str) -> dict[str, Any]:
    """A sub-command's name and description: ``<key>_NAME`` / ``<key>_DESCRIPTION``."""
    return {"name": localized(f"{key}_NAME"), "description": localized(f"{key}_DESCRIPTION")}


def choices(values: dict[str, str]) -> list[disnake.OptionChoice]:
    """Localized choices: value → display-name key."""
    return [disnake.OptionChoice(localized(key), value) for value, key in values.items()]


async def answer(
    inter: GuildInter, config: settings.GuildConfig, key: str, /, **params: object
) -> None:
    """Reply (ephemerally) in the language the settings just written say.

    Not through the cache: this process hears its own change announced a moment later and
    drops the copy it just loaded, and the reply would fall back to the caller's language.
    """
    text = translate(config.language or inter.locale, key, **params)
    await inter.response.send_message(text, ephemeral=True)


async def save(inter: GuildInter, changes: dict[str, Any], key: str, /, **params: object) -> None:
    """Change fields of the guild's settings, then answer ``key`` in the language they say."""
    async with guild_db(inter.guild_id):
        new = await settings.update(inter.guild_id, **changes)
    await answer(inter, new, key, **params)


async def cache_settings(inter: CommandInter) -> None:
    """Load the guild's settings into this process's cache unless they are there already."""
    guild_id = inter.guild_id
    if guild_id is None or settings.cached(guild_id) is not None:
        return
    try:
        async with guild_db(guild_id):
            await settings.current(guild_id)
    except TenancyError:
        pass  # a disabled or unknown guild: the command says so in the caller's language
    except Exception as exc:
        # An outage, say: the command itself meets it and answers; replies fall back to the
        # caller's language meanwhile.
        log.debug("could not load the settings of guild %s: %r", guild_id, exc)
