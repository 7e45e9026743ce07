"""What the embedded server's tests share: processes found by working directory, a cluster
template, and fixtures that stop every server they start (see test_embedded's docstring).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from app.postgres.embedded import EmbeddedServer, start_embedded

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


def postgres_in(root: Path) -> list[psutil.Process]:
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


def wait_no_postgres(root: Path, timeout: float = 5.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := postgres_in(root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def is_running(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])


def handle_pids(data_dir: Path) -> list[int]:
    return list(json.loads((data_dir / "postgres" / ".handle_pids.json").read_text()))


def is_file(path: Path) -> bool:
    return path.is_file()


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])  # noqa: S607
    proc.wait()  # reaped: the pid is free (reuse within the test is vanishingly unlikely)
    return proc.pid


def spawn_child(data_dir: Path, mode: str) -> tuple[subprocess.Popen[str], str]:
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


def sigkill(child: subprocess.Popen[str]) -> None:
    child.kill()
    child.communicate(timeout=10)  # reap it, or its zombie would still count as "alive"


async def select_one(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


def make_root(tag: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"ghpg-{tag}-")).resolve()


def remove_root(root: Path) -> None:
    leaked = wait_no_postgres(root)
    for proc in leaked:  # don't leave them running even though the test fails
        proc.send_signal(signal.SIGINT)
    wait_no_postgres(root)
    shutil.rmtree(root, ignore_errors=True)
    assert not leaked, f"postgres processes left running: {leaked}"


@pytest.fixture
def data_root() -> Iterator[Path]:
    """A private temp dir for server data (see the module docstring for why not tmp_path)."""
    root = make_root("t")
    yield root
    remove_root(root)


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """One initdb'ed, stopped cluster (initdb is most of a cold start); tests copy it."""
    root = make_root("tpl")
    start_embedded(root).stop()
    yield root / "postgres"
    remove_root(root)


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
