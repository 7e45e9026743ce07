"""The Tortoise configuration: one shared app, one tenant app, and where their connections go."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from app.tenancy.naming import SHARED_SCHEMA, UNBOUND_SCHEMA

SHARED_APP = "shared"
TENANT_APP = "tenant"
#: Connection aliases. Per-guild clients are named exactly like the tenant alias: with any
#: other name ``in_transaction`` runs outside the transaction (docs/library-behaviour.md,
#: "Tortoise: connection names").
SHARED_ALIAS = "shared"
TENANT_ALIAS = "tenant"

#: The static connections' Tortoise engine: asyncpg, with transactions undone when their BEGIN
#: fails (:mod:`app.tenancy.connections.registry_client`).
REGISTRY_ENGINE = "app.tenancy.connections.registry_client"

SHARED_MODELS = ["app.models.shared"]
TENANT_MODELS = ["app.models.tenant", "aerich.models"]


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


def tortoise_config(
    address: ServerAddress,
    *,
    shared_pool_max: int = 10,
    tenant_models: list[str] | None = None,
) -> dict[str, Any]:
    """The runtime Tortoise config.

    The static tenant connection pins ``search_path`` to a schema that never exists, so an
    unbound tenant query fails with "relation does not exist" instead of reaching any guild.
    """
    return {
        "connections": {
            SHARED_ALIAS: {
                "engine": REGISTRY_ENGINE,
                "credentials": address.credentials(SHARED_SCHEMA, maxsize=shared_pool_max),
            },
            TENANT_ALIAS: {
                "engine": REGISTRY_ENGINE,
                "credentials": address.credentials(UNBOUND_SCHEMA, maxsize=1),
            },
        },
        "apps": {
            SHARED_APP: {"models": SHARED_MODELS, "default_connection": SHARED_ALIAS},
            TENANT_APP: {
                "models": tenant_models or TENANT_MODELS,
                "default_connection": TENANT_ALIAS,
            },
        },
        "use_tz": True,
        "timezone": "UTC",
    }
