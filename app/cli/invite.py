"""``guildhall invite``: the URL that adds the configured bot to a server."""

from __future__ import annotations

from app.cli._common import CliError
from app.invite import MalformedToken, application_id, invite_url
from app.settings import load_settings


def invite_command() -> None:
    """Print the invite URL for DISCORD_TOKEN's application (scopes and permissions included)."""
    settings = load_settings()
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        raise CliError(
            "DISCORD_TOKEN is not set; put the bot token in the environment or in .env",
            exit_code=2,
        )
    try:
        app_id = application_id(token)
    except MalformedToken as exc:
        raise CliError(str(exc), exit_code=2) from None
    print(invite_url(app_id))
