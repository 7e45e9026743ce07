"""The operator's first commands: ``--version``, ``invite``, readable tables, quiet logs."""

from __future__ import annotations

import base64
import secrets
from importlib.metadata import version

from app.tenancy.connections.config import ServerAddress
from app.tenancy.registry.runtime import Tenancy
from app.tenancy.scratch import scratch_database
from tests.ops.conftest import RunCli


def bot_token(app_id: int) -> str:
    """A token shaped like Discord's: base64(application id).timestamp.hmac."""
    first = base64.b64encode(str(app_id).encode()).decode().rstrip("=")
    return f"{first}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(20)}"


async def test_version_prints_the_installed_version(cli: RunCli) -> None:
    """``guildhall --version`` prints the package's version and exits 0."""
    result = await cli("--version")
    assert (result.code, result.stdout.strip()) == (0, f"guildhall {version('guildhall')}")


async def test_invite_prints_the_url_for_the_tokens_application(cli: RunCli) -> None:
    """``guildhall invite`` builds the URL from the application id in DISCORD_TOKEN."""
    result = await cli("invite", DISCORD_TOKEN=bot_token(1234567890123456789))
    assert result.code == 0, result
    assert result.stdout.strip() == (
        "https://discord.com/oauth2/authorize?client_id=1234567890123456789"
        "&scope=bot+applications.commands&permissions=268438528"
    )


async def test_invite_refuses_a_malformed_token_with_one_line(cli: RunCli) -> None:
    """A token whose first part is not a base64 application id: one line, exit 2."""
    for token in ("not-a-token", "aGVsbG8.x.y", bot_token(5) + ".extra"):
        result = await cli("invite", DISCORD_TOKEN=token)
        assert result.code == 2, (token, result)
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1
        assert "DISCORD_TOKEN is not a bot token" in result.stderr


async def test_tenants_list_at_80_columns_shows_whole_guild_ids(
    cli: RunCli, tenancy: Tenancy
) -> None:
    """A 19-digit guild id is printed in full in an 80-column terminal."""
    guild = 1_100_000_000_000_000_000 + secrets.randbelow(10**15)
    await tenancy.provision(guild, "a server with a rather long name to squeeze the table")
    result = await cli("tenants", "list", COLUMNS="80")
    assert result.code == 0, result
    assert str(guild) in result.stdout


async def test_cli_keeps_info_lines_out_unless_verbose(
    cli: RunCli, server_address: ServerAddress
) -> None:
    """A one-shot command logs no INFO lines by default; ``-v`` shows them at LOG_LEVEL."""
    # A fresh database: opening it creates the shared schema, which is logged at INFO.
    async with scratch_database(server_address, "guildhall_cli") as scratch:
        quiet = await cli("tenants", "list", DATABASE_URL=scratch.dsn, LOG_LEVEL="INFO")
    async with scratch_database(server_address, "guildhall_cli") as scratch:
        verbose = await cli("-v", "tenants", "list", DATABASE_URL=scratch.dsn, LOG_LEVEL="INFO")
    assert (quiet.code, verbose.code) == (0, 0), (quiet, verbose)
    assert quiet.stderr == ""
    assert "INFO app.tenancy" in verbose.stderr


async def test_db_status_without_guilds_prints_a_sentence(
    cli: RunCli, server_address: ServerAddress
) -> None:
    """``db status`` on a database with no guild schema says so instead of an empty table."""
    async with scratch_database(server_address, "guildhall_cli") as scratch:
        result = await cli("db", "status", DATABASE_URL=scratch.dsn)
    assert result.code == 0, result
    assert "no guild schemas yet" in result.stdout
    assert "tenant version" not in result.stdout
