"""The registry's status transitions: what enabling, disabling, leaving and joining do to a row.

Each transition is a function of the guild's locked registry row; :func:`apply_locked` locks
the row, applies one, saves it and announces the change (``NOTIFY``) in one transaction, so
concurrent changes (an operator's disable racing a rejoin) never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from app.models.shared import Tenant, TenantStatus
from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.errors import TenantNotFound
from app.tenancy.registry.listener import notify_status_change

#: A change to a locked registry row.
Transition = Callable[[Tenant], None]


def enabled(until: datetime | None) -> Transition:
    """Serve the guild again (until ``until`` when given); its data was never touched."""

    def apply(tenant: Tenant) -> None:
        tenant.status, tenant.reason, tenant.paid_until = TenantStatus.ACTIVE, None, until

    return apply


def disabled(reason: str | None) -> Transition:
    """Refuse the guild's commands from now on; nothing is deleted."""

    def apply(tenant: Tenant) -> None:
        tenant.status, tenant.reason = TenantStatus.DISABLED, reason

    return apply


def left(tenant: Tenant) -> None:
    """The bot left: an active guild becomes ``left``; an operator's ``disabled`` stays (so a
    rejoin does not undo it). ``left_at`` is set either way: retention counts from it."""
    if tenant.status == TenantStatus.ACTIVE:
        tenant.status = TenantStatus.LEFT
    tenant.left_at = datetime.now(UTC)


def joined(name: str) -> Transition:
    """The bot joined (or rejoined): a left guild is active again, and keeps its new name."""

    def apply(tenant: Tenant) -> None:
        if tenant.status == TenantStatus.LEFT:
            tenant.status = TenantStatus.ACTIVE
        tenant.left_at = None
        if name:
            tenant.name = name[:100]

    return apply


async def apply_locked(guild_id: int, transition: Transition) -> Tenant:
    """Lock the guild's row, apply ``transition``, save and announce; :class:`TenantNotFound`."""
    async with in_transaction(SHARED_ALIAS) as conn:
        tenant = await Tenant.filter(guild_id=guild_id).using_db(conn).select_for_update().first()
        if tenant is None:
            raise TenantNotFound(guild_id)
        transition(tenant)
        await tenant.save(using_db=conn)
        await notify_status_change(conn, guild_id)
    return tenant
