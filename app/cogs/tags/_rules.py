"""What a valid tag name and tag content are, in the caller's words.

The rules themselves live in :mod:`app.models.rules` (the import checks rows with them too);
this module turns a violation into the localized reply.
"""

from __future__ import annotations

from app.i18n import UserFacingError
from app.models import rules


def name_key(name: str) -> str:
    """The case-insensitive identity of a tag name ("Rules" and "RULES" are one tag)."""
    return rules.tag_name_key(name)


def check_name(raw: str) -> str:
    """The tag name as stored (surrounding spaces dropped); raises :class:`UserFacingError`."""
    try:
        return rules.tag_name(raw)
    except rules.RuleViolation as exc:
        raise UserFacingError(exc.code, **exc.params) from None


def check_content(raw: str) -> str:
    """The tag content as stored; raises :class:`UserFacingError` if empty or too long."""
    try:
        return rules.tag_content(raw)
    except rules.RuleViolation as exc:
        raise UserFacingError(exc.code, **exc.params) from None
