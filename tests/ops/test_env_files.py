"""Settings files: the per-user config directory's ``.env``, the current directory's, or
``GUILDHALL_ENV_FILE`` — and the command says which it read."""

from __future__ import annotations

from pathlib import Path

import pytest
from dotenv import dotenv_values

from app.cli.doctor_settings import env_files_finding
from app.settings import SettingsError, load_settings
from bench.fakediscord import FakeDiscord
from tests.ops.conftest import RunCli
from tests.ops.test_operator_cli import bot_token

KEYS = ("TENANT_IDLE_SECONDS", "TENANT_RETENTION_DAYS", "OWNER_IDS", "GUILDHALL_ENV_FILE")


@pytest.fixture
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(the user's .env, the working directory's .env): neither written yet, nothing inherited."""
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    user_env = tmp_path / "config" / "guildhall" / ".env"
    user_env.parent.mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return user_env, work / ".env"


def test_the_user_config_env_is_read_from_any_directory(homes: tuple[Path, Path]) -> None:
    """No .env where the command runs: the per-user one still gives the settings."""
    user_env, _ = homes
    user_env.write_text("TENANT_IDLE_SECONDS=42\n")
    assert load_settings().tenant_idle_seconds == 42


def test_the_current_directory_wins_key_by_key(homes: tuple[Path, Path]) -> None:
    """Both files: the working directory's value wins; a key only the user file has is kept."""
    user_env, here_env = homes
    user_env.write_text("TENANT_IDLE_SECONDS=42\nTENANT_RETENTION_DAYS=7\n")
    here_env.write_text("TENANT_IDLE_SECONDS=9\n")
    settings = load_settings()
    assert (settings.tenant_idle_seconds, settings.tenant_retention_days) == (9, 7)


def test_the_environment_wins_over_both_files(
    homes: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real environment variable beats every settings file."""
    user_env, here_env = homes
    user_env.write_text("TENANT_IDLE_SECONDS=42\n")
    here_env.write_text("TENANT_IDLE_SECONDS=9\n")
    monkeypatch.setenv("TENANT_IDLE_SECONDS", "5")
    assert load_settings().tenant_idle_seconds == 5


def test_guildhall_env_file_is_read_alone(
    homes: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GUILDHALL_ENV_FILE names the one file read: the usual two are then ignored."""
    user_env, here_env = homes
    user_env.write_text("TENANT_RETENTION_DAYS=7\n")
    here_env.write_text("TENANT_IDLE_SECONDS=9\n")
    chosen = tmp_path / "prod.env"
    chosen.write_text("TENANT_IDLE_SECONDS=60\n")
    monkeypatch.setenv("GUILDHALL_ENV_FILE", str(chosen))
    settings = load_settings()
    assert (settings.tenant_idle_seconds, settings.tenant_retention_days) == (60, 30)
    finding = env_files_finding()
    assert finding.message == f"settings read from {chosen}"


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_a_guildhall_env_file_that_is_not_a_file_is_one_line(
    homes: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Asking for a file that is not there stops with its name, not a silent default."""
    target = tmp_path / "nowhere.env"
    if kind == "directory":
        target.mkdir()
    monkeypatch.setenv("GUILDHALL_ENV_FILE", str(target))
    with pytest.raises(SettingsError) as caught:
        load_settings()
    what = "does not exist" if kind == "missing" else "is not a file"
    assert str(caught.value) == f"GUILDHALL_ENV_FILE={target} {what}"


def test_a_settings_file_that_is_not_utf8_is_named(homes: tuple[Path, Path]) -> None:
    """A .env saved in another encoding is refused naming the file (no UnicodeDecodeError)."""
    _, here_env = homes
    here_env.write_bytes("OWNER_IDS=1\n# caf\u00e9\n".encode("latin-1"))
    with pytest.raises(SettingsError, match="is not UTF-8 text") as caught:
        load_settings()
    assert str(here_env) in str(caught.value)


def test_doctor_finding_lists_the_files_in_priority_order(homes: tuple[Path, Path]) -> None:
    """The finding names every file read, lowest priority first; or where it looked."""
    user_env, here_env = homes
    assert env_files_finding().message == (
        f"no settings file read (environment only); looked for {user_env} or {here_env}"
    )
    user_env.write_text("TENANT_IDLE_SECONDS=42\n")
    here_env.write_text("TENANT_IDLE_SECONDS=9\n")
    finding = env_files_finding()
    assert finding.level == "info"
    assert finding.message.startswith(f"settings read from {user_env}, {here_env} (the later")


async def test_a_command_reads_the_user_env_and_says_so(cli: RunCli, tmp_path: Path) -> None:
    """`guildhall -v invite` run where there is no .env gets the token from the user's file."""
    config = tmp_path / "xdg"
    user_env = config / "guildhall" / ".env"
    user_env.parent.mkdir(parents=True)
    user_env.write_text(f"DISCORD_TOKEN={bot_token(1234567890123456789)}\n")
    result = await cli("-v", "invite", XDG_CONFIG_HOME=str(config))
    assert result.code == 0, result
    assert "client_id=1234567890123456789" in result.stdout
    assert f"settings read from {user_env}" in result.stderr


async def test_a_missing_guildhall_env_file_exits_2_with_one_line(
    cli: RunCli, tmp_path: Path
) -> None:
    """The CLI turns the unusable file into one line on stderr and exit status 2."""
    missing = tmp_path / "missing.env"
    result = await cli("tenants", "list", GUILDHALL_ENV_FILE=str(missing))
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == f"guildhall: GUILDHALL_ENV_FILE={missing} does not exist\n"


@pytest.mark.parametrize("how", ["env file", "environment"])
def test_a_copied_env_example_loads(
    homes: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """``cp .env.example .env`` works as read from a file and as ``docker run --env-file``
    passes it (every line, empty values included, becomes an environment variable)."""
    example = Path(__file__).resolve().parents[2] / ".env.example"
    values = {key: value or "" for key, value in dotenv_values(example).items()}
    if how == "env file":
        homes[1].write_text(example.read_text())
    else:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
    settings = load_settings()
    # The empty ones mean "unset": derived from the budget, an eighth of the shared tier.
    assert values["TENANT_CACHE_SIZE"] == values["GUILD_SHARED_LEASES_MAX"] == ""
    assert (settings.tenant_cache_size, settings.guild_shared_leases_max) == (None, None)
    assert settings.connection_budget() == load_settings(_env_file=None).connection_budget()


async def test_run_says_at_start_up_which_files_it_read(cli: RunCli, tmp_path: Path) -> None:
    """`guildhall run` logs the files (here the user's, holding the token) before logging in."""
    config = tmp_path / "xdg"
    user_env = config / "guildhall" / ".env"
    user_env.parent.mkdir(parents=True)
    async with FakeDiscord(token="right") as fake:
        user_env.write_text(f"DISCORD_TOKEN=wrong\nDISCORD_API_BASE={fake.api_base}\n")
        result = await cli("run", XDG_CONFIG_HOME=str(config), LOG_LEVEL="INFO", HEALTH_PORT="0")
    lines = result.stderr.splitlines()
    assert result.code == 1, result
    assert any(line.endswith(f"INFO app.cli.run settings read from {user_env}") for line in lines)
    assert (
        lines[-1] == "guildhall: login to Discord failed: the token in DISCORD_TOKEN was rejected"
    )
