"""Configuration mistakes end in one line on stderr, never a traceback (issue 13, item 2)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings
from app.tenancy.connections.config import ServerAddress
from app.tenancy.scratch import scratch_database
from bench.fakediscord import FakeDiscord
from tests.bot.test_run import guildhall_env
from tests.reliability.processes import guildhall

COMMANDS = [["tenants", "list"], ["db", "migrate"], ["run"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:99999/postgres", "port 99999 is out of range"),
        ("postgresql://postgres@127.0.0.1:abc/postgres", "port 'abc' is not a number"),
    ],
    ids=["port-99999", "port-abc"],
)
async def test_malformed_database_url_port_is_one_line_exit_2(
    command: list[str], url: str, expected: str, tmp_path: Path
) -> None:
    """A DATABASE_URL whose port is not a port: one line naming the setting, exit 2."""
    env = guildhall_env(DATABASE_URL=url, DISCORD_TOKEN="token")
    code, lines = await guildhall(command, env, tmp_path)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("guildhall: setting DATABASE_URL is invalid")
    assert expected in lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"user": "guildhall_no_such_role"}, 'role "guildhall_no_such_role" does not exist'),
        ({"database": "guildhall_no_such_db"}, 'database "guildhall_no_such_db" does not exist'),
    ],
    ids=["unknown-role", "missing-database"],
)
async def test_database_refusing_the_login_is_one_line_exit_1(
    command: list[str], change: dict[str, str], expected: str, database: ServerAddress,
    tmp_path: Path,
) -> None:  # fmt: skip
    """An unknown role or a missing database: one line saying which and what to fix, exit 1."""
    url = replace(database, **change).dsn  # type: ignore[arg-type]
    env = guildhall_env(DATABASE_URL=url, DISCORD_TOKEN="token")
    code, lines = await guildhall(command, env, tmp_path)
    assert code == 1
    assert len(lines) == 1, lines
    assert expected in lines[0] and "DATABASE_URL" in lines[0]


async def test_discord_api_base_answering_404_is_one_line(
    database: ServerAddress, tmp_path: Path
) -> None:
    """A DISCORD_API_BASE that answers 404 (a wrong path): one line naming the setting, exit 1."""
    # A database of its own: the shared test database holds other tests' guilds, at versions
    # the start-up report would (rightly) log about.
    async with (
        scratch_database(database, "guildhall_404") as address,
        FakeDiscord(token="right") as fake,
    ):
        env = guildhall_env(
            DISCORD_TOKEN="right",
            DISCORD_API_BASE=fake.api_base + "/no/such/prefix",
            DATABASE_URL=address.dsn,
            LOG_LEVEL="WARNING",
            HEALTH_PORT="0",
        )
        code, lines = await guildhall(["run"], env, tmp_path)
    assert code == 1
    assert len(lines) == 1, lines
    assert "404" in lines[0] and "DISCORD_API_BASE" in lines[0]


@pytest.mark.parametrize("token", ["abc def", "Bot abc.def", "abc\tdef"])
def test_token_with_spaces_is_refused_locally(token: str) -> None:
    """A token with whitespace inside is refused at start, naming DISCORD_TOKEN."""
    with pytest.raises(SettingsError, match="DISCORD_TOKEN") as refused:
        load_settings(discord_token=token, _env_file=None)
    assert "space" in str(refused.value)


def test_token_with_surrounding_whitespace_is_accepted() -> None:
    """A token pasted with a trailing newline is still the token."""
    settings = load_settings(discord_token=" abc.def\n", _env_file=None)
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "abc.def"
