"""Plural forms: a text may be ``{"one": …, "other": …}``, chosen by CLDR's rules (Babel).

The locale files stay flat JSON; a value is either a string or an object keyed by CLDR plural
categories (``zero``, ``one``, ``two``, ``few``, ``many``, ``other``; ``other`` required). The
``count`` parameter picks the form with the language's own rule: English says "1 row" and
"0 rows", French "0 ligne" and "1 ligne" (CLDR puts 0 and 1 in French's ``one``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from babel import Locale

#: Every plural category CLDR defines.
CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})

#: A text of a locale file: one string, or one string per plural category.
Message = str | Mapping[str, str]


def check_message(key: str, value: object) -> Message:
    """A locale file's value, or ``TypeError`` naming the key and what is wrong with it."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        unknown = set(value) - CATEGORIES
        if unknown or "other" not in value:
            raise TypeError(
                f"{key}: plural forms must include 'other' and use only {sorted(CATEGORIES)}"
                f" (found {sorted(value)})"
            )
        return {str(k): v for k, v in value.items()}
    raise TypeError(f"{key}: a text is a string or an object of plural forms")


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language.replace("-", "_"))


def plural_category(language: str, count: int) -> str:
    """CLDR's plural category of ``count`` in ``language`` (``en-US``, ``fr``)."""
    return str(_locale(language).plural_form(abs(count)))


def choose(message: Message, language: str, params: Mapping[str, object]) -> str:
    """The template of ``message`` for ``params['count']`` (plain strings are returned as is)."""
    if isinstance(message, str):
        return message
    count = params.get("count")
    if not isinstance(count, int):
        raise TypeError("a text with plural forms needs an integer 'count' parameter")
    return message.get(plural_category(language, count), message["other"])
