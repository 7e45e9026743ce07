"""Moderator-written message templates (the level-up message): checked once, filled safely.

A template may use only the named placeholders it is given (``{member}``, ``{level}``): no
attribute or index access, no format specs, so a template can never reach into an object.
"""

from __future__ import annotations

import string

from app.i18n import UserFacingError

LEVEL_UP_PLACEHOLDERS = ("member", "level")


def check_template(raw: str, allowed: tuple[str, ...], limit: int) -> str:
    """The template as stored; raises :class:`UserFacingError` naming what to fix."""
    template = raw.strip()
    if not template:
        raise UserFacingError("template.empty")
    if len(template) > limit:
        raise UserFacingError("template.too_long", limit=limit, length=len(template))
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        raise UserFacingError("template.braces") from None
    shown = ", ".join(f"{{{name}}}" for name in allowed)
    for _text, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            found = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise UserFacingError("template.unknown", found=found[:40], allowed=shown)
    return template


def fill(template: str, **values: object) -> str:
    """The template with its placeholders filled (it passed :func:`check_template`)."""
    return template.format_map(values)
