"""The running tenancy core: Tortoise, the guild connection tiers, statuses, the listener.

One :class:`Tenancy` is started per process (bot, CLI command, benchmark) and registered as the
active one, which is what :func:`app.tenancy.connections.binding.guild_db` uses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.transactions import in_transaction
from tortoise.utils import get_schema_sql

from app.models.shared import Tenant, TenantStatus
from app.postgres.server import DatabaseServer
from app.sharding import ShardScope
from app.tenancy.connections.budget import ConnectionBudget
from app.tenancy.connections.config import (
    SHARED_ALIAS,
    TENANT_ALIAS,
    ServerAddress,
    tortoise_config,
)
from app.tenancy.connections.fairness import FairShareLimits
from app.tenancy.connections.router import GuildConnections
from app.tenancy.connections.session import init_session, reset_session
from app.tenancy.connections.shared_tier import SharedTier
from app.tenancy.errors import TenantNotFound
from app.tenancy.naming import database_tag, parse_guild_id, role_for, schema_for
from app.tenancy.registry import transitions
from app.tenancy.registry.guild_cache import CHANNEL as GUILD_CACHE_CHANNEL
from app.tenancy.registry.guild_cache import GuildCaches
from app.tenancy.registry.listener import CHANNEL as STATUS_CHANNEL
from app.tenancy.registry.listener import StatusListener, notify_status_change
from app.tenancy.registry.opt_outs import CHANNEL as OPT_OUT_CHANNEL
from app.tenancy.registry.opt_outs import OptOutCache
from app.tenancy.registry.shard_reconcile import mark_absent_left
from app.tenancy.registry.spare_refill import SpareRefill
from app.tenancy.registry.status import StatusCache
from app.tenancy.schemas.provisioning import ProvisionResult, provision, provision_many
from app.tenancy.schemas.spares import RefillReport
from app.tenancy.schemas.spares import refill_spares as refill_spare_schemas

log = logging.getLogger(__name__)

_active: Tenancy | None = None

#: ``application_name`` of pinned per-guild connections, so pg_stat_activity can count them.
GUILD_APPLICATION_NAME = "guildhall-guild"


def current_tenancy() -> Tenancy:
    """The started :class:`Tenancy` of this process."""
    if _active is None:
        raise RuntimeError("the tenancy core is not started; call `await Tenancy(...).start()`")
    return _active


@dataclass
class ReconcileReport:
    """What reconciling the guilds the bot is in did."""

    provisioned: list[int] = field(default_factory=list)
    reactivated: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    #: Registry guilds of the reconciled shards the bot is no longer in, now marked left.
    left: list[int] = field(default_factory=list)


class Tenancy:
    """Everything a process needs to serve per-guild data."""

    def __init__(
        self,
        address: ServerAddress,
        *,
        budget: ConnectionBudget | None = None,
        idle_seconds: float = 300.0,
        tenant_models: list[str] | None = None,
        listen: bool = True,
        spare_schemas: int = 0,
        fairness: FairShareLimits | None = None,
    ) -> None:
        self.address = address
        #: This database's tag in role names (:func:`app.tenancy.naming.database_tag`).
        self.role_tag = database_tag(address.database)
        #: Keeps spare schemas ready for new guilds (:mod:`app.tenancy.schemas.spares`).
        self.spares = SpareRefill(self.refill_spares, spare_schemas)
        #: How this process's connections are shared out (one budget bounds them all).
        self.budget = budget or ConnectionBudget.split(40)
        self._idle_seconds = idle_seconds
        self.connections = GuildConnections.create(
            self.budget,
            SharedTier(address, size=self.budget.shared_tier),
            self.new_client,
            self.role_for,
            idle_seconds=idle_seconds,
            fairness=fairness,
        )
        self.statuses = StatusCache()
        #: Who opted out of XP tracking (shared ``User``), cached, invalidated by NOTIFY.
        self.opt_outs = OptOutCache()
        #: Small per-guild data read on hot paths (settings), dropped on change (NOTIFY).
        self.guild_caches = GuildCaches()
        self._config = tortoise_config(
            address, shared_pool_max=self.budget.registry_pool, tenant_models=tenant_models
        )
        handlers = {
            STATUS_CHANNEL: self.drop_cached_state,
            OPT_OUT_CHANNEL: self.opt_outs.on_notify,
            GUILD_CACHE_CHANNEL: self.guild_caches.on_notify,
        }
        self._listener = StatusListener(address.dsn, handlers) if listen else None
        self._ddl: str | None = None
        #: The server this tenancy runs on, when opened through ``open_tenancy``.
        self.server: DatabaseServer | None = None

    @property
    def config(self) -> dict[str, Any]:
        """The Tortoise configuration this tenancy started with."""
        return self._config

    @property
    def tenant_ddl(self) -> str:
        """The tenant app's DDL at the head, unqualified."""
        if self._ddl is None:
            raise RuntimeError("the tenancy core is not started")
        return self._ddl

    async def start(self) -> Tenancy:
        """Initialise Tortoise, start the reaper and the listener; become the active tenancy.

        With ``spare_schemas`` > 0, a refill of the spare schemas starts in the background.
        """
        global _active
        # Global fallback: the bot handles each gateway event in its own task, and Tortoise's
        # context would be invisible to them (docs/library-behaviour.md, "Tortoise: context").
        await Tortoise.init(config=self._config, _enable_global_fallback=True)
        self._ddl = get_schema_sql(connections.get(TENANT_ALIAS), safe=False)
        await self.connections.start(reap_every=max(self._idle_seconds / 2, 0.05))
        if self._listener is not None:
            self._listener.start()
        _active = self
        self.spares.schedule()
        return self

    async def close(self) -> None:
        """Stop the listener, close every per-guild client and Tortoise's connections."""
        global _active
        await self.spares.stop()
        if self._listener is not None:
            await self._listener.stop()
        await self.connections.close()
        await Tortoise.close_connections()
        if _active is self:
            _active = None

    def role_for(self, guild_id: int) -> str:
        """The database role the guild's connections run as."""
        return role_for(self.role_tag, guild_id)

    def new_client(self, guild_id: int) -> AsyncpgDBClient:
        """A new, not yet connected client whose connections are pinned to the guild schema."""
        # Named exactly like the tenant alias: with any other name in_transaction runs outside
        # the transaction (docs/library-behaviour.md, "Tortoise: connection names").
        credentials = self.address.credentials(
            schema_for(guild_id), minsize=1, maxsize=self.budget.pinned_pool_max
        )
        return AsyncpgDBClient(
            connection_name=TENANT_ALIAS,
            application_name=GUILD_APPLICATION_NAME,
            # A startup option, not a SET: RESET ROLE, RESET ALL and DISCARD ALL all return to
            # the guild's role, never to the login.
            server_settings={"role": self.role_for(guild_id)},
            init=init_session,
            reset=reset_session,
            **credentials,
        )

    # --- provisioning -------------------------------------------------------------------

    async def provision(self, guild_id: int, name: str = "") -> ProvisionResult:
        """Create the guild's tenant if missing (idempotent, one transaction)."""
        result = await provision(guild_id, ddl=self.tenant_ddl, tag=self.role_tag, name=name)
        self.statuses.invalidate(result.guild_id)
        if result.created:  # a spare was used, or none was ready
            self.spares.schedule()
        return result

    async def provision_many(
        self, guild_ids: list[int], names: Mapping[int, str] | None = None, jobs: int = 4
    ) -> list[ProvisionResult]:
        """Provision several guilds concurrently; failures are reported per guild."""
        results = await provision_many(
            guild_ids, ddl=self.tenant_ddl, tag=self.role_tag, names=dict(names or {}), jobs=jobs
        )
        for result in results:
            self.statuses.invalidate(result.guild_id)
        if any(result.created for result in results):
            self.spares.schedule()
        return results

    async def refill_spares(self) -> RefillReport:
        """Drop stale spare schemas and create spares until ``spares.count`` are ready."""
        return await refill_spare_schemas(self.tenant_ddl, self.spares.count, self.role_tag)

    # --- status -------------------------------------------------------------------------

    async def enable(self, guild_id: int, until: datetime | None = None) -> Tenant:
        """Serve the guild again (until ``until`` when given); its data was never touched."""
        return await self._change(guild_id, transitions.enabled(until))

    async def disable(self, guild_id: int, reason: str | None = None) -> Tenant:
        """Refuse the guild's commands from now on; nothing is deleted."""
        return await self._change(guild_id, transitions.disabled(reason))

    async def mark_left(self, guild_id: int) -> Tenant:
        """The bot left the guild: keep the data until the retention period ends
        (:func:`~app.tenancy.registry.transitions.left`)."""
        return await self._change(guild_id, transitions.left)

    async def mark_joined(self, guild_id: int, name: str = "") -> Tenant:
        """The bot joined (or rejoined) the guild: provision it, or reactivate a left one."""
        await self.provision(guild_id, name)
        return await self._change(guild_id, transitions.joined(name))

    async def reconcile(
        self, present: Mapping[int, str], shards: ShardScope | None = None
    ) -> ReconcileReport:
        """Bring the registry in line with the guilds the bot is in, in a few batch queries.

        With ``shards`` (whose full READY listed exactly ``present``), guilds of those shards
        missing from ``present`` are marked left too (:mod:`app.tenancy.registry.shard_reconcile`).
        """
        report = ReconcileReport()
        if shards is not None:
            report.left = await mark_absent_left(shards, present)
            for guild_id in report.left:
                await self.drop_cached_state(guild_id)
        known = {t.guild_id: t for t in await Tenant.filter(guild_id__in=list(present)).all()}
        missing = [g for g in present if g not in known]
        for result in await self.provision_many(missing, names=present):
            if result.error:
                report.failed[result.guild_id] = result.error
            else:
                report.provisioned.append(result.guild_id)
        returned = [g for g, t in known.items() if t.status == TenantStatus.LEFT or t.left_at]
        if returned:
            async with in_transaction(SHARED_ALIAS) as conn:
                await (
                    Tenant.filter(guild_id__in=returned, status=TenantStatus.LEFT)
                    .using_db(conn)
                    .update(status=TenantStatus.ACTIVE)
                )
                await Tenant.filter(guild_id__in=returned).using_db(conn).update(left_at=None)
                for guild_id in returned:
                    await notify_status_change(conn, guild_id)
            for guild_id in returned:
                await self.drop_cached_state(guild_id)
            report.reactivated = returned
        return report

    async def get(self, guild_id: int) -> Tenant:
        """The guild's registry row; raises :class:`TenantNotFound`."""
        tenant = await Tenant.get_or_none(guild_id=parse_guild_id(guild_id))
        if tenant is None:
            raise TenantNotFound(guild_id)
        return tenant

    async def drop_cached_state(self, guild_id: int | None) -> None:
        """Drop this process's cached state of one guild (or of all): its status, its pinned
        client, and its cached data (a purged guild that rejoins starts from the defaults).

        Nothing in the database changes: deleting a user's data is ``forget_user_everywhere``.
        """
        self.statuses.invalidate(guild_id)
        self.guild_caches.invalidate(guild_id)
        if guild_id is not None:
            self.connections.evict(guild_id)

    async def _change(self, guild_id: int, transition: transitions.Transition) -> Tenant:
        """Apply a status transition to the locked row, then drop the guild's cached state."""
        guild_id = parse_guild_id(guild_id)
        tenant = await transitions.apply_locked(guild_id, transition)
        await self.drop_cached_state(guild_id)
        log.info("guild %s: status now %s", guild_id, tenant.status, extra={"guild_id": guild_id})
        return tenant
