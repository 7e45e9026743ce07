"""Start the tenancy core for a process (bot, CLI command, benchmark) and stop it again."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tortoise import connections

from app.postgres.server import DatabaseServer, open_server
from app.tenancy.connections.budget import ConnectionBudget
from app.tenancy.connections.config import SHARED_ALIAS, SHARED_APP
from app.tenancy.connections.fairness import FairShareLimits
from app.tenancy.migrations.applier import migrate_shared, read_applied
from app.tenancy.naming import SHARED_SCHEMA
from app.tenancy.registry.runtime import Tenancy

log = logging.getLogger(__name__)


async def shared_schema_is_new() -> bool:
    """True when the shared schema has no migration applied yet (a fresh database)."""
    return not await read_applied(connections.get(SHARED_ALIAS), SHARED_SCHEMA, SHARED_APP)


@asynccontextmanager
async def open_tenancy(
    *,
    database_url: str | None,
    data_dir: Path,
    budget: ConnectionBudget | None = None,
    idle_seconds: float = 300.0,
    listen: bool = False,
    spare_schemas: int = 0,
    fairness: FairShareLimits | None = None,
) -> AsyncIterator[Tenancy]:
    """A started :class:`Tenancy` on the configured server, closed (and embedded server
    stopped) on exit.

    A fresh database gets the shared schema created; an existing one is left as it is (its
    migrations are ``guildhall db migrate``'s job). ``spare_schemas`` > 0 keeps that many spare
    schemas ready, refilled in the background (:mod:`app.tenancy.schemas.spares`); ``fairness``
    caps each guild's shared-tier leases (:mod:`app.tenancy.connections.fairness`).
    """
    server: DatabaseServer = await open_server(database_url, data_dir)
    tenancy = Tenancy(
        server.address,
        budget=budget,
        idle_seconds=idle_seconds,
        listen=listen,
        spare_schemas=spare_schemas,
        fairness=fairness,
    )
    try:
        await tenancy.start()
        tenancy.server = server
        if await shared_schema_is_new():
            applied = await migrate_shared(SHARED_ALIAS)
            log.info("created the shared schema (%s)", ", ".join(applied))
        yield tenancy
    finally:
        await tenancy.close()
        server.stop()
