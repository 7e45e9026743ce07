"""The embedded server's data lives in one per-user directory, named by every command."""

from __future__ import annotations

from pathlib import Path

import pytest
from platformdirs import user_data_path

from app.settings import load_settings
from tests.ops.conftest import RunCli


def test_default_data_dir_is_the_per_user_directory_wherever_the_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without DATA_DIR, two working directories give the same, absolute data directory."""
    monkeypatch.delenv("DATA_DIR", raising=False)
    seen = set()
    for where in (tmp_path / "a", tmp_path / "b"):
        where.mkdir()
        monkeypatch.chdir(where)
        seen.add(load_settings().data_dir)
    assert seen == {user_data_path("guildhall", appauthor=False)}
    assert next(iter(seen)).is_absolute()


async def test_embedded_commands_name_the_data_dir_and_warn_when_it_is_new(
    cli: RunCli, tmp_path: Path
) -> None:
    """First use of a DATA_DIR warns that a new, empty database is made; later uses name it."""
    data_dir = tmp_path / "guildhall-data"
    first = await cli("tenants", "list", DATABASE_URL="", DATA_DIR=str(data_dir))
    again = await cli("db", "status", DATABASE_URL="", DATA_DIR=str(data_dir))
    assert (first.code, again.code) == (0, 0), (first, again)
    assert first.stderr.startswith(f"warning: no embedded database in {data_dir} yet")
    assert "creating a new, empty one" in first.stderr
    assert again.stderr.strip() == f"embedded PostgreSQL: data in {data_dir}"
