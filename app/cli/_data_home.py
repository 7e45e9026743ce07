"""Say where the embedded server's data is, every time a command starts that server."""

from __future__ import annotations

from app.cli._common import err_console
from app.postgres import has_cluster
from app.settings import Settings


def announce_embedded(settings: Settings) -> None:
    """One line on stderr naming the embedded data directory; a warning when it is new.

    Without it, a command run with another DATA_DIR (or another user) silently started an
    empty cluster and reported "0 tenant(s)" as if the guilds were gone.
    """
    if settings.database_url:
        return
    data_dir = settings.data_dir.expanduser().resolve()
    if has_cluster(data_dir):
        err_console.print(
            f"embedded PostgreSQL: data in {data_dir}", highlight=False, soft_wrap=True
        )
        return
    err_console.print(
        f"warning: no embedded database in {data_dir} yet; creating a new, empty one. "
        "If your data is elsewhere, stop and set DATA_DIR to its directory (or DATABASE_URL)",
        style="yellow",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
