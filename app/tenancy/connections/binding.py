"""The one way to reach a guild's data: ``async with guild_db(guild_id): ...``.

The binding checks that the guild may be served, leases a connection bound to the guild's
schema (pinned or shared tier, :mod:`app.tenancy.connections`) and binds a client over it
under the tenant alias for the current task only (Tortoise's context-local connections), so
every ORM path — including the ones that silently use the static "tenant" connection
(docs/library-behaviour.md, "Tortoise: silent fallbacks") — runs against this guild's schema.
The binding is always undone on exit, and the client is revoked: a task started inside the
block that queries after the block ended gets
:class:`~app.tenancy.connections.leased.LeaseEnded`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from app.log import current_guild_id
from app.tenancy.connections.config import TENANT_ALIAS
from app.tenancy.naming import parse_guild_id
from app.tenancy.registry.runtime import current_tenancy


@asynccontextmanager
async def guild_db(
    guild_id: int, *, require_active: bool = True
) -> AsyncIterator[BaseDBAsyncClient]:
    """Bind the guild's connection for the current task.

    Raises :class:`~app.tenancy.errors.TenantNotFound` for an unknown guild and, unless
    ``require_active`` is false (operator tools: export, data deletion, status),
    :class:`~app.tenancy.errors.TenantUnavailable` for a disabled, expired or left one.
    """
    guild_id = parse_guild_id(guild_id)
    tenancy = current_tenancy()
    state = await tenancy.statuses.get(guild_id)
    if require_active:
        state.ensure_available()
    async with tenancy.connections.lease(guild_id) as client:
        token = connections.set(TENANT_ALIAS, client)
        log_token = current_guild_id.set(guild_id)
        try:
            yield client
        finally:
            current_guild_id.reset(log_token)
            connections.reset(token)
