"""Load the locale files and render texts from them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import disnake

from app.i18n.plurals import Message, check_message, choose

LOCALE_DIR = Path(__file__).parent / "locales"
#: The language of the command defaults and of every reply not in French.
ENGLISH = "en-US"
FRENCH = "fr"
LANGUAGES = (ENGLISH, FRENCH)


@cache
def catalog(language: str) -> dict[str, Message]:
    """Every text of one language (``en-US`` or ``fr``), read once from its locale file.

    A text is a string, or its plural forms (:mod:`app.i18n.plurals`).
    """
    if language not in LANGUAGES:
        raise ValueError(f"no locale file for {language!r}; expected one of {LANGUAGES}")
    data = json.loads((LOCALE_DIR / f"{language}.json").read_text("utf-8"))
    if not isinstance(data, dict):
        raise TypeError(f"{language}.json must hold one JSON object of texts")
    return {
        str(key): check_message(f"{language}.json: {key}", value) for key, value in data.items()
    }


def language_of(locale: disnake.Locale | str | None) -> str:
    """The language a reply is written in for a Discord locale: French for ``fr``, else English."""
    value = locale.value if isinstance(locale, disnake.Locale) else (locale or "")
    return FRENCH if value.lower().startswith("fr") else ENGLISH


def translate(locale: disnake.Locale | str | None, key: str, /, **params: object) -> str:
    """The text ``key`` in the caller's language, with ``{placeholders}`` filled from params.

    A key missing in French falls back to English; one missing in English is a bug and
    raises ``KeyError`` (a test keeps the files in step). A text with plural forms is chosen
    by the ``count`` parameter and the language's plural rule.
    """
    language = language_of(locale)
    message = catalog(language).get(key)
    if message is None:
        language, message = ENGLISH, catalog(ENGLISH)[key]
    return choose(message, language, params).format_map(params)


def _plain(key: str, message: Message) -> str:
    if not isinstance(message, str):
        raise TypeError(f"{key} names a command or option: it cannot have plural forms")
    return message


def localized(key: str) -> disnake.Localized[str]:
    """A command/option name or description: English by default, localized by ``key``."""
    return disnake.Localized(_plain(key, catalog(ENGLISH)[key]), key=key)


class CatalogLocalizations(disnake.LocalizationProtocol):
    """Command names and descriptions for Discord, from the locale files.

    disnake's own ``LocalizationStore`` accepts flat string files only; the files here may
    hold plural forms (replies), so the command texts are served from :func:`catalog`.
    Strict: a key missing from the English file fails at start instead of going unlocalized.
    """

    def get(self, key: str) -> dict[str, str] | None:
        """The non-English texts of ``key``, by Discord locale."""
        if key not in catalog(ENGLISH):
            raise disnake.LocalizationKeyError(key)
        found = {
            str(disnake.Locale(language)): _plain(key, catalog(language)[key])
            for language in LANGUAGES
            if language != ENGLISH and key in catalog(language)
        }
        return found or None


def localization_store() -> disnake.LocalizationProtocol:
    """What the bot gives disnake to localize its commands (every language but English:
    the commands' defaults are English)."""
    return CatalogLocalizations()
