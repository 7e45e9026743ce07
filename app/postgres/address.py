"""Where a PostgreSQL server is and how to log in: parsed from a DSN, written back as one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit


@dataclass(frozen=True)
class ServerAddress:
    """Where the PostgreSQL server is and how to log in (parsed from a DSN)."""

    host: str
    port: int
    user: str
    password: str | None
    database: str

    @classmethod
    def from_dsn(cls, dsn: str) -> ServerAddress:
        """Parse ``postgresql://user:pass@host:port/db`` (or ``?host=/socket/dir``)."""
        parts = urlsplit(dsn)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ValueError(f"{dsn!r} is not a postgresql:// URL")
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        port = int(query.get("port", [parts.port or 5432])[0])
        return cls(
            host=host,
            port=port,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password) if parts.password else None,
            database=unquote(parts.path.lstrip("/")) or "postgres",
        )

    def with_database(self, database: str) -> ServerAddress:
        """The same server, another database."""
        return replace(self, database=database)

    @property
    def dsn(self) -> str:
        """A DSN asyncpg accepts (unix sockets via ``?host=``)."""
        auth = quote(self.user, safe="") + (
            f":{quote(self.password, safe='')}" if self.password else ""
        )
        database = quote(self.database, safe="")
        if self.host.startswith("/"):
            host = quote(self.host, safe="")
            return f"postgresql://{auth}@/{database}?host={host}&port={self.port}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"

    def credentials(self, schema: str, *, minsize: int = 1, maxsize: int = 2) -> dict[str, Any]:
        """Tortoise asyncpg credentials whose connections pin ``search_path`` to ``schema``."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "database": self.database,
            "schema": schema,
            "minsize": minsize,
            "maxsize": maxsize,
        }
