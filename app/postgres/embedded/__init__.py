"""The embedded PostgreSQL server used when no ``DATABASE_URL`` is set."""

from app.postgres.embedded.lifecycle import EmbeddedPostgresError, EmbeddedServer, start_embedded

__all__ = ["EmbeddedPostgresError", "EmbeddedServer", "start_embedded"]
