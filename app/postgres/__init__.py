"""The PostgreSQL server Guildhall runs on: an external one named by ``DATABASE_URL``, or the
embedded one it starts itself (``embedded``: lifecycle, crash recovery, socket hardening,
error text). Importing it starts nothing and imports nothing from disnake."""

from app.postgres.data_home import default_data_dir, has_cluster
from app.postgres.embedded import EmbeddedPostgresError, EmbeddedServer, start_embedded
from app.postgres.server import DatabaseServer, open_server, temporary_database
from app.postgres.tools import ToolNotFound, find_tool, libpq_env

__all__ = [
    "DatabaseServer",
    "EmbeddedPostgresError",
    "EmbeddedServer",
    "ToolNotFound",
    "default_data_dir",
    "find_tool",
    "has_cluster",
    "libpq_env",
    "open_server",
    "start_embedded",
    "temporary_database",
]
