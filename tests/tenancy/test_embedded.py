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
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from tests.tenancy.embedded_support import (
    Start,
    cluster,
    data_root,
    dead_pid,
    embedded,
    handle_pids,
    is_file,
    is_running,
    postmaster_pid,
    read_lines,
    select_one,
    sigkill,
    spawn_child,
    template,
    wait_no_postgres,
)

# pytest finds fixtures by name in the test module: these are used as test arguments.
__all__ = ["cluster", "data_root", "embedded", "template"]


async def test_start_reuse_select_stop_restart(data_root: Path, embedded: Start) -> None:
    data_dir = data_root / "not" / "yet" / "there"  # cold start: created, then initdb

    server = embedded(data_dir)

    assert server.data_dir == data_dir
    assert is_file(data_dir / "postgres" / "PG_VERSION")
    assert embedded(data_dir) is server  # second start in the same process: same server
    assert await select_one(server.dsn) == 1

    pid = postmaster_pid(data_dir)
    server.stop()
    server.stop()  # idempotent
    assert not wait_no_postgres(data_root)
    assert not is_running(pid)

    again = embedded(data_dir)  # warm start on the existing cluster
    assert again is not server
    assert await select_one(again.dsn) == 1
    server.stop()  # a stale object must not stop the newer server
    assert await select_one(again.dsn) == 1


def test_server_stops_at_interpreter_exit(data_root: Path, cluster: Callable[[str], Path]) -> None:
    data_dir = cluster("data")
    child, line = spawn_child(data_dir, "exit")
    _, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert line.startswith("postgresql://"), line
    assert not wait_no_postgres(data_root)
    assert handle_pids(data_dir) == []
    assert "Traceback" not in err


def _child_server_then_sigkill(data_dir: Path, *, postmaster_too: bool) -> tuple[int, int]:
    """Start a server in a child, SIGKILL the child (and optionally the postmaster).

    Returns (child pid, postmaster pid).
    """
    child, line = spawn_child(data_dir, "hang")
    assert line.startswith("postgresql://"), line
    postmaster = postmaster_pid(data_dir)
    sigkill(child)
    if postmaster_too:
        psutil.Process(postmaster).send_signal(signal.SIGKILL)  # crash: stale pid + socket lock
        # kill() only queues the signal; under load the postmaster can still look alive (and
        # be "reused") for a moment.  A crash that is still happening is not the scenario.
        deadline = time.monotonic() + 5
        while is_running(postmaster) and time.monotonic() < deadline:
            time.sleep(0.01)
    return child.pid, postmaster


async def test_reuses_server_left_running_by_sigkilled_owner(
    data_root: Path, cluster: Callable[[str], Path], embedded: Start
) -> None:
    data_dir = cluster("data")
    child, postmaster = _child_server_then_sigkill(data_dir, postmaster_too=False)
    # What the library leaves behind: an orphaned server, and the dead owner as a holder.
    assert is_running(postmaster)
    assert handle_pids(data_dir) == [child]

    server = embedded(data_dir)

    assert await select_one(server.dsn) == 1
    assert postmaster_pid(data_dir) == postmaster  # reused, not restarted
    assert handle_pids(data_dir) == [os.getpid()]
    server.stop()
    # Without pruning the dead pid we would never be the "last holder" and it would leak.
    assert not wait_no_postgres(data_root)


async def test_restarts_after_owner_and_postmaster_sigkilled(
    cluster: Callable[[str], Path], embedded: Start
) -> None:
    data_dir = cluster("data")
    _, postmaster = _child_server_then_sigkill(data_dir, postmaster_too=True)

    server = embedded(data_dir)

    assert await select_one(server.dsn) == 1
    assert postmaster_pid(data_dir) != postmaster


def _write_stale_pid_files(data_dir: Path, stale: str, real: list[str], live_pid: int) -> None:
    """Leave the pid files the way a crash (or pid reuse) does."""
    pgdata = data_dir / "postgres"
    dead = dead_pid()
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
    real_pidfile = read_lines(data_dir / "postgres" / "postmaster.pid")
    server.stop()
    _write_stale_pid_files(data_dir, stale, real_pidfile, live_unrelated_pid)

    restarted = embedded(data_dir)

    assert await select_one(restarted.dsn) == 1
    assert handle_pids(data_dir) == [os.getpid()]
