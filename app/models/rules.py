"""What a valid tag and note are: the one place these rules live.

The slash commands (through the cogs) and ``guildhall tenants import`` (through the importer's
row checks) both read them here, so a row that a command would refuse cannot arrive by file.
Each violation carries a code, which the cogs use as their message key and the importer
prints, and the numbers it needs.
"""

from __future__ import annotations

import unicodedata

from app.models.tenant import NOTE_CONTENT_MAX, TAG_CONTENT_MAX, TAG_NAME_MAX


class RuleViolation(ValueError):
    """A value a rule refuses: ``code`` names the rule (``tag.name_too_long``, …)."""

    def __init__(self, code: str, message: str, **params: int) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def has_control_characters(text: str) -> bool:
    """True if ``text`` holds control characters or line/paragraph separators."""
    return any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text)


def tag_name_key(name: str) -> str:
    """The case-insensitive identity of a tag name ("Rules" and "RULES" are one tag)."""
    return name.casefold()


def tag_name(raw: str) -> str:
    """The tag name as stored (surrounding spaces dropped); raises :class:`RuleViolation`."""
    name = raw.strip()
    if not name:
        raise RuleViolation("tag.name_empty", "a tag name cannot be empty")
    if len(name) > TAG_NAME_MAX:
        raise RuleViolation(
            "tag.name_too_long",
            f"a tag name is at most {TAG_NAME_MAX} characters; this one has {len(name)}",
            limit=TAG_NAME_MAX,
            length=len(name),
        )
    if has_control_characters(name):
        raise RuleViolation(
            "tag.name_control", "a tag name cannot contain control characters or line breaks"
        )
    return name


def _content(kind: str, raw: str, limit: int) -> str:
    content = raw.strip()
    if not content:
        raise RuleViolation(f"{kind}.content_empty", f"a {kind}'s content cannot be empty")
    if len(content) > limit:
        raise RuleViolation(
            f"{kind}.content_too_long",
            f"a {kind}'s content is at most {limit} characters; this one has {len(content)}",
            limit=limit,
            length=len(content),
        )
    return content


def tag_content(raw: str) -> str:
    """The tag content as stored; raises :class:`RuleViolation` if empty or too long."""
    return _content("tag", raw, TAG_CONTENT_MAX)


def note_content(raw: str) -> str:
    """The note as stored; raises :class:`RuleViolation` if empty or too long."""
    return _content("note", raw, NOTE_CONTENT_MAX)
