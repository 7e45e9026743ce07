"""The invite URL an operator opens to add the bot to a server.

The bot token's first part is the application's id in base64 (Discord's token format:
``base64(id).timestamp.hmac``), so the URL can be built from ``DISCORD_TOKEN`` alone.
"""

from __future__ import annotations

import base64
import binascii

from app.snowflake import parse_snowflake

#: ``bot`` joins the server; ``applications.commands`` lets the slash commands appear there.
SCOPES = ("bot", "applications.commands")

#: What the features need beyond slash-command replies (which need no channel permission):
#: View Channels (1 << 10) so the XP counter sees MESSAGE_CREATE events, Send Messages
#: (1 << 11) for level-up announcements, Manage Roles (1 << 28) for XP role rewards.
PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 28)

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"


class MalformedToken(ValueError):
    """The token does not start with a base64-encoded application id."""


def application_id(token: str) -> int:
    """The application id encoded in a bot token's first part, or :class:`MalformedToken`."""
    first = token.strip().split(".", 1)[0]
    padded = first + "=" * (-len(first) % 4)
    try:
        decoded = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    app_id = parse_snowflake(decoded) if decoded.isdigit() else None
    if not first or token.count(".") != 2 or app_id is None:
        raise MalformedToken(
            "DISCORD_TOKEN is not a bot token (three dot-separated parts, the first the "
            "application id in base64); copy it again from the portal's Bot page"
        )
    return app_id


def invite_url(app_id: int) -> str:
    """The OAuth2 URL that adds application ``app_id`` with the scopes and permissions needed."""
    return f"{AUTHORIZE_URL}?client_id={app_id}&scope={'+'.join(SCOPES)}&permissions={PERMISSIONS}"
