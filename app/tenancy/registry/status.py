"""Whether a guild's instance may be served, cached per process.

Every binding asks this, so it must not cost a query: states are cached and dropped when a
status change is announced (locally, or from another process through NOTIFY). A change
announced while a state is being read is never lost: each invalidation bumps a generation, and
a state read across a bump answers that one lookup but is not stored (an operator's disable
must not be undone by a lookup that happened to be in flight).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from app.models.shared import Tenant, TenantStatus
from app.tenancy.errors import TenantNotFound, TenantUnavailable


@dataclass(frozen=True)
class TenantState:
    """The registry's verdict on one guild, as of when it was read."""

    guild_id: int
    status: TenantStatus
    reason: str | None
    paid_until: datetime | None

    @classmethod
    def of(cls, tenant: Tenant) -> TenantState:
        """The state of a registry row."""
        return cls(tenant.guild_id, TenantStatus(tenant.status), tenant.reason, tenant.paid_until)

    def effective_status(self, now: datetime | None = None) -> str:
        """``active``, ``disabled``, ``left`` or ``expired`` (active but ``paid_until`` passed)."""
        if self.status is not TenantStatus.ACTIVE:
            return self.status.value
        if self.paid_until is not None and self.paid_until <= (now or datetime.now(UTC)):
            return "expired"
        return "active"

    def ensure_available(self, now: datetime | None = None) -> None:
        """Raise :class:`TenantUnavailable` unless the guild may be served now."""
        status = self.effective_status(now)
        if status != "active":
            raise TenantUnavailable(self.guild_id, status, self.reason, self.paid_until)


class StatusCache:
    """Guild id → :class:`TenantState`, loaded from the registry on first use."""

    def __init__(self) -> None:
        self._states: dict[int, TenantState] = {}
        self._generation = 0

    async def get(self, guild_id: int) -> TenantState:
        """The guild's state; raises :class:`TenantNotFound` when it has no registry row."""
        state = self._states.get(guild_id)
        if state is None:
            generation = self._generation
            state = await self._read(guild_id)
            if state is None:
                raise TenantNotFound(guild_id)
            if generation == self._generation:  # nothing announced while we read
                self._states[guild_id] = state
        return state

    async def _read(self, guild_id: int) -> TenantState | None:
        """The guild's state as the registry holds it now (None: no row)."""
        tenant = await Tenant.get_or_none(guild_id=guild_id)
        return None if tenant is None else TenantState.of(tenant)

    def invalidate(self, guild_id: int | None = None) -> None:
        """Forget one guild's state (or every state) so the next use reads the registry."""
        self._generation += 1
        if guild_id is None:
            self._states.clear()
        else:
            self._states.pop(guild_id, None)
