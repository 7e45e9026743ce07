"""Load the locale files and render texts from them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import disnake

LOCALE_DIR = Path(__file__).parent / "locales"
#: The language of the command defaults and of every reply not in French.
ENGLISH = "en-US"
FRENCH = "fr"
LANGUAGES = (ENGLISH, FRENCH)


@cache
def catalog(language: str) -> dict[str, str]:
    """Every text of one language (``en-US`` or ``fr``), read once from its locale file."""
    if language not in LANGUAGES:
        raise ValueError(f"no locale file for {language!r}; expected one of {LANGUAGES}")
    data = json.loads((LOCALE_DIR / f"{language}.json").read_text("utf-8"))
    if not isinstance(data, dict):
        raise TypeError(f"{language}.json must hold one flat JSON object of strings")
    return {str(key): str(value) for key, value in data.items()}


def language_of(locale: disnake.Locale | str | None) -> str:
    """The language a reply is written in for a Discord locale: French for ``fr``, else English."""
    value = locale.value if isinstance(locale, disnake.Locale) else (locale or "")
    return FRENCH if value.lower().startswith("fr") else ENGLISH


def translate(locale: disnake.Locale | str | None, key: str, /, **params: object) -> str:
    """The text ``key`` in the caller's language, with ``{placeholders}`` filled from params.

    A key missing in French falls back to English; one missing in English is a bug and
    raises ``KeyError`` (a test keeps the files in step).
    """
    texts = catalog(language_of(locale))
    template = texts.get(key)
    if template is None:
        template = catalog(ENGLISH)[key]
    return template.format_map(params)


def localized(key: str) -> disnake.Localized[str]:
    """A command/option name or description: English by default, localized by ``key``."""
    return disnake.Localized(catalog(ENGLISH)[key], key=key)


def localization_store() -> disnake.LocalizationStore:
    """disnake's store with every language but English (the commands' defaults are English);
    strict, so a key missing from every file fails at start instead of going unlocalized."""
    store = disnake.LocalizationStore(strict=True)
    for language in LANGUAGES:
        if language != ENGLISH:
            store.load(LOCALE_DIR / f"{language}.json")
    return store
