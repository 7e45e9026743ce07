"""Crash recovery: repair what a SIGKILLed previous owner of the embedded server left behind.

Dead pids in the library's ``.handle_pids.json``, a ``postmaster.pid`` whose pid is dead, a
zombie or an unrelated process, orphaned backends and stale socket lock files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from app.postgres.embedded.errors import EmbeddedPostgresError

_log = logging.getLogger(__name__)

# pg_ctl start -w already waits for readiness; this only covers a server another process is
# starting at the very moment we look at it.
_READY_TIMEOUT_S = 10.0

# psutil is untyped here; pin the constant to str so comparisons stay typed.
ZOMBIE: str = psutil.STATUS_ZOMBIE


def is_alive(pid: int) -> bool:
    """True if ``pid`` is a live, non-zombie process.

    psutil reports zombies as existing; an unreaped postmaster (common when pid 1 in a
    container does not reap) would otherwise look like a running server.
    """
    try:
        status: str = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # exists but not ours to inspect: assume alive (the safe side)
    return status != ZOMBIE


def _postgres_procs_in(pgdata: Path) -> Iterator[psutil.Process]:
    """Yield postgres processes working on ``pgdata``.

    Every PostgreSQL process (postmaster and backends) chdirs into its data directory, so the
    cwd identifies them even though backends' cmdlines ("postgres: checkpointer") do not.
    """
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] != "postgres":
            continue
        with contextlib.suppress(psutil.Error):
            if Path(proc.cwd()) == pgdata and proc.status() != ZOMBIE:
                yield proc


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    """True if ``pid`` is a live postgres process serving ``pgdata``."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == ZOMBIE or proc.name() != "postgres":
            return False
        return Path(proc.cwd()) == pgdata
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        # Another user's postgres we cannot inspect: never delete its lock file.
        return True


def clear_stale_state(pgdata: Path) -> None:
    """Repair what a SIGKILLed previous owner leaves behind.  Caller holds the library lock."""
    _prune_handle_pids(pgdata / ".handle_pids.json")

    pidfile = pgdata / "postmaster.pid"
    socket_dirs = {pgdata}
    try:
        lines = pidfile.read_text().splitlines()
    except FileNotFoundError:
        lines = None
    if lines is not None:
        pid = _first_int(lines)
        if pid is not None and _is_our_postmaster(pid, pgdata):
            _wait_until_ready(pidfile, pid)
            return  # a real server: the library will reuse it
        if len(lines) > 4 and lines[4].strip():
            socket_dirs.add(Path(lines[4].strip()))

        # The recorded postmaster is gone, a zombie, or the pid now belongs to something else.
        # Orphaned backends of a killed postmaster may still use the shared memory whose
        # interlock lives in this very file: kill them before removing it.
        for proc in _postgres_procs_in(pgdata):
            _log.warning("killing orphaned postgres process %s in %s", proc.pid, pgdata)
            with contextlib.suppress(psutil.Error):
                proc.send_signal(signal.SIGKILL)
                proc.wait(5)
        # Required, not cosmetic: the library would "reuse" a live unrelated pid, its parser
        # asserts on a truncated file, and postgres itself refuses to start while the pid is
        # an unreaped zombie (kill(pid, 0) succeeds).
        _log.warning("removing stale %s (pid %s is not a running postgres)", pidfile, pid)
        pidfile.unlink(missing_ok=True)

    # Same story for the socket lock file (.s.PGSQL.<port>.lock, first line = pid): with a
    # zombie pid postgres fails with 'lock file ... already exists'.
    for sock_dir in socket_dirs:
        for lock in sock_dir.glob(".s.PGSQL.*.lock"):
            with contextlib.suppress(OSError):
                pid = _first_int(lock.read_text().splitlines())
                if pid is None or not _is_our_postmaster(pid, pgdata):
                    _log.warning("removing stale socket lock %s", lock)
                    lock.unlink(missing_ok=True)
                    lock.with_suffix("").unlink(missing_ok=True)  # the socket itself


def _first_int(lines: list[str]) -> int | None:
    try:
        return int(lines[0])
    except (IndexError, ValueError):
        return None


def _prune_handle_pids(path: Path) -> None:
    """Drop dead pids from the library's handle list (and repair a half-written file)."""
    try:
        raw = path.read_text().strip()
    except FileNotFoundError:
        return
    try:
        pids = [int(p) for p in json.loads(raw)] if raw else []
    except (ValueError, TypeError):
        # Its write is not atomic; a kill mid-write leaves garbage that json.loads would
        # raise on forever.  Nobody's hold can be recovered from it, so start over.
        _log.warning("resetting corrupt %s", path)
        path.write_text("[]")
        return
    alive = [p for p in pids if p == os.getpid() or is_alive(p)]
    if alive != pids:
        _log.info("pruning dead handle pids %s from %s", sorted(set(pids) - set(alive)), path)
        path.write_text(json.dumps(alive))


def _wait_until_ready(pidfile: Path, pid: int) -> None:
    """Wait while another process is still starting the server we are about to reuse.

    The library asserts status == "ready" immediately, and a file still being written has
    fewer than the 8 lines its parser asserts on.
    """
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while True:
        with contextlib.suppress(OSError):
            lines = pidfile.read_text().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
        if time.monotonic() > deadline or not is_alive(pid):
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL in {pidfile.parent} (pid {pid}) is running but not "
                f"ready after {_READY_TIMEOUT_S:.0f}s; stop that process, or set DATABASE_URL"
            )
        time.sleep(0.05)
