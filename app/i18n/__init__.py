"""English and French for everything a user reads: command names, descriptions, replies.

Texts live in ``app/i18n/locales/<locale>.json`` (one flat file per language, the same keys
in each). Upper-case keys (``TAG_SHOW_DESCRIPTION``) name commands and options; disnake's
:class:`~disnake.LocalizationStore` sends them to Discord. Dotted lower-case keys
(``tag.created``) are replies, rendered for the caller's ``inter.locale`` by
:func:`translate`: French for ``fr``, English for everything else.
"""

from app.i18n.catalog import (
    ENGLISH,
    FRENCH,
    LOCALE_DIR,
    catalog,
    language_of,
    localization_store,
    localized,
    translate,
)
from app.i18n.errors import UserFacingError

__all__ = [
    "ENGLISH",
    "FRENCH",
    "LOCALE_DIR",
    "UserFacingError",
    "catalog",
    "language_of",
    "localization_store",
    "localized",
    "translate",
]
