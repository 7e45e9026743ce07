"""What a valid tag name and tag content are. Pure functions: no data, no Discord."""

from __future__ import annotations

from app.cogs._common import has_control_characters
from app.i18n import UserFacingError
from app.models.tenant import TAG_CONTENT_MAX, TAG_NAME_MAX


def name_key(name: str) -> str:
    """The case-insensitive identity of a tag name ("Rules" and "RULES" are one tag)."""
    return name.casefold()


def check_name(raw: str) -> str:
    """The tag name as stored (surrounding spaces dropped); raises :class:`UserFacingError`."""
    name = raw.strip()
    if not name:
        raise UserFacingError("tag.name_empty")
    if len(name) > TAG_NAME_MAX:
        raise UserFacingError("tag.name_too_long", limit=TAG_NAME_MAX, length=len(name))
    if has_control_characters(name):
        raise UserFacingError("tag.name_control")
    return name


def check_content(raw: str) -> str:
    """The tag content as stored; raises :class:`UserFacingError` if empty or too long."""
    content = raw.strip()
    if not content:
        raise UserFacingError("tag.content_empty")
    if len(content) > TAG_CONTENT_MAX:
        raise UserFacingError("tag.content_too_long", limit=TAG_CONTENT_MAX, length=len(content))
    return content
