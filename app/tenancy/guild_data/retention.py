"""Purging a guild for good: its schema and its registry row, and the retention sweep.

A purge is one transaction on the shared connection, under the same advisory lock as
provisioning (so a concurrent join cannot recreate half a tenant): drop the schema, delete the
registry row, ``NOTIFY`` the status channel. On commit every process drops the guild's cached
state (this one directly, the others through their status listener).

Retention counts from ``left_at``, which the bot sets when it leaves a guild (disabled guilds
included); a guild the bot is in again has no ``left_at`` and is never purged by the sweep.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.models.shared import Tenant, TenantStatus
from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.errors import TenancyError, TenantNotFound
from app.tenancy.locks import guild_lock_key
from app.tenancy.naming import parse_guild_id, quote_schema, schema_for
from app.tenancy.registry.duties import Duty, run_exclusively
from app.tenancy.registry.listener import notify_status_change
from app.tenancy.registry.runtime import Tenancy, current_tenancy
from app.tenancy.registry.status import TenantState
from app.tenancy.schemas.roles import drop_role

log = logging.getLogger(__name__)

#: DROP SCHEMA waits for the bot's open transactions on the guild's tables; not forever.
LOCK_TIMEOUT = "10s"
#: How often the bot's retention loop sweeps.
SWEEP_EVERY = timedelta(days=1)


class TenantActive(TenancyError):
    """Purging a guild that is still served needs ``force``."""

    def __init__(self, guild_id: int) -> None:
        self.guild_id = guild_id
        super().__init__(
            f"guild {guild_id} is active; disable it first "
            f"(guildhall tenants disable {guild_id}) or pass --force"
        )


@dataclass(frozen=True)
class PurgeResult:
    """What purging one guild removed."""

    guild_id: int
    schema: str
    #: The registry status it had (None: there was no registry row, only a stray schema).
    status: str | None
    left_at: datetime | None
    schema_dropped: bool


@dataclass
class RetentionReport:
    """What one retention sweep did."""

    purged: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


async def purge_tenant(
    guild_id: int,
    *,
    force: bool = False,
    left_before: datetime | None = None,
    tenancy: Tenancy | None = None,
) -> PurgeResult | None:
    """Drop the guild's schema and role and delete its registry row, in one transaction.

    Refuses an active guild (:class:`TenantActive`) unless ``force``. With ``left_before``,
    purges only a guild that is not active and left before that moment, checked under the
    lock (a guild that rejoined meanwhile is kept), and returns None when it does not qualify.
    A stray schema without a registry row is dropped too. Raises :class:`TenantNotFound`
    when there is neither.
    """
    guild_id = parse_guild_id(guild_id)
    tenancy = tenancy or current_tenancy()
    schema = schema_for(guild_id)
    async with in_transaction(SHARED_ALIAS) as conn:
        tenant, schema_exists = await _lock_guild(conn, guild_id, schema)
        if not _qualifies(guild_id, tenant, force=force, left_before=left_before):
            return None
        if schema_exists:
            await conn.execute_script(f"DROP SCHEMA {quote_schema(schema)} CASCADE")
        await drop_role(conn, tenancy.role_for(guild_id))  # nothing of the guild is left
        if tenant is not None:
            await Tenant.filter(guild_id=guild_id).using_db(conn).delete()
        await notify_status_change(conn, guild_id)
    await tenancy.drop_cached_state(guild_id)
    result = PurgeResult(
        guild_id=guild_id,
        schema=schema,
        status=str(tenant.status) if tenant is not None else None,
        left_at=tenant.left_at if tenant is not None else None,
        schema_dropped=schema_exists,
    )
    _log_purge(result, row_deleted=tenant is not None)
    return result


async def _lock_guild(conn: Any, guild_id: int, schema: str) -> tuple[Tenant | None, bool]:
    """Take the guild's lock and its registry row's: the row (if any) and whether the schema
    exists. :class:`TenantNotFound` when there is neither."""
    await conn.execute_script(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [guild_lock_key(guild_id)])
    tenant = await Tenant.filter(guild_id=guild_id).using_db(conn).select_for_update().first()
    rows = await conn.execute_query_dict(
        "SELECT to_regnamespace($1) IS NOT NULL AS present", [schema]
    )
    schema_exists = bool(rows[0]["present"])
    if tenant is None and not schema_exists:
        raise TenantNotFound(guild_id)
    return tenant, schema_exists


def _qualifies(
    guild_id: int, tenant: Tenant | None, *, force: bool, left_before: datetime | None
) -> bool:
    """Whether the locked guild is to be purged (see :func:`purge_tenant`); an active one
    without ``force`` raises :class:`TenantActive`."""
    if left_before is not None and (
        tenant is None
        or tenant.status == TenantStatus.ACTIVE
        or tenant.left_at is None
        or tenant.left_at >= left_before
    ):
        return False
    if tenant is not None and not force and TenantState.of(tenant).effective_status() == "active":
        raise TenantActive(guild_id)
    return True


def _log_purge(result: PurgeResult, *, row_deleted: bool) -> None:
    log.info(
        "guild %s purged: schema %s %s, registry row %s (status was %s, left at %s)",
        result.guild_id,
        result.schema,
        "dropped" if result.schema_dropped else "was already gone",
        "deleted" if row_deleted else "was already gone",
        result.status,
        result.left_at.isoformat() if result.left_at else "-",
        extra={"guild_id": result.guild_id},
    )


async def purge_left_before(
    days: int, *, now: datetime | None = None, tenancy: Tenancy | None = None
) -> RetentionReport:
    """Purge every non-active guild whose ``left_at`` is more than ``days`` days ago.

    Each guild is purged in its own transaction; one failure is logged and reported, and the
    sweep goes on. Safe to run from several processes at once.
    """
    cutoff = _cutoff(days, now)
    report = RetentionReport()
    for guild_id in await _left_before(cutoff):
        try:
            result = await purge_tenant(guild_id, left_before=cutoff, tenancy=tenancy)
        except Exception as exc:
            log.exception("purging guild %s failed", guild_id, extra={"guild_id": guild_id})
            report.failed[guild_id] = " ".join(str(exc).split()) or type(exc).__name__
            continue
        if result is not None:
            report.purged.append(result.guild_id)
    if report.purged or report.failed:
        log.info(
            "retention (left more than %d days ago): %d guild(s) purged, %d failed",
            days,
            len(report.purged),
            len(report.failed),
        )
    return report


def _cutoff(days: int, now: datetime | None) -> datetime:
    if days < 0:
        raise ValueError("days must be 0 or more")
    return (now or datetime.now(UTC)) - timedelta(days=days)


async def _left_before(cutoff: datetime) -> list[int]:
    """Guilds not active whose ``left_at`` is before ``cutoff``, oldest first."""
    rows: list[Any] = (
        await Tenant.filter(left_at__lt=cutoff)
        .exclude(status=TenantStatus.ACTIVE)
        .order_by("left_at")
        .values_list("guild_id", flat=True)
    )
    return [int(guild_id) for guild_id in rows]


async def _sweep_round(days: int, tenancy: Tenancy | None) -> None:
    """One round of the loop: with several bot processes on one database, one sweeps and the
    others skip. Most rounds find nothing to purge; they take no lock (whose connection would
    be opened for nothing)."""
    if await _left_before(_cutoff(days, None)):
        await run_exclusively(
            Duty.RETENTION_SWEEP, lambda: purge_left_before(days, tenancy=tenancy)
        )


async def retention_loop(
    days: int, *, every: timedelta = SWEEP_EVERY, tenancy: Tenancy | None = None
) -> None:
    """Sweep now and then every ``every`` until cancelled (the bot runs this as a task).

    ``days`` is ``TENANT_RETENTION_DAYS``; 0 turns retention off and returns at once. A round
    in which another process is sweeping (:mod:`app.tenancy.registry.duties`) is skipped.
    """
    if days <= 0:
        log.info("tenant retention is off (TENANT_RETENTION_DAYS=0)")
        return
    while True:
        try:
            await _sweep_round(days, tenancy)
        except Exception:  # the loop must outlive one bad sweep (database restart, ...)
            log.exception("the retention sweep failed; retrying at the next interval")
        await asyncio.sleep(every.total_seconds())
