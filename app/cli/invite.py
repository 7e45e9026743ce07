"""``guildhall invite``: the URL that adds the configured bot to a server."""

from __future__ import annotations

from app.cli._common import CliError, discord_token
from app.invite import MalformedToken, application_id, invite_url
from app.settings import load_settings


def invite_command() -> None:
    """Print the invite URL for DISCORD_TOKEN's application (scopes and permissions included)."""
    try:
        app_id = application_id(discord_token(load_settings()))
    except MalformedToken as exc:
        raise CliError(str(exc), exit_code=2) from None
    print(invite_url(app_id))
