"""One number bounds every connection a process opens; this module splits it.

A process holds: the status listener (1), the registry pool (the shared app's Tortoise
connection), the static "tenant" sentinel connection (1: it only opens when a tenant query is
made outside a binding), the shared tier, and the pinned tier (slots x connections per slot).
The split gives the shared tier — which serves every guild that is not pinned — a bit more
than half of what is left, and pins as many hot guilds as the rest allows.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The listener and the sentinel "tenant" connection.
FIXED_CONNECTIONS = 2
#: Registry queries are few (statuses and opt-outs are cached), provisioning takes one each.
DEFAULT_REGISTRY_POOL = 4
#: The smallest budget that leaves every part at least one connection.
MIN_BUDGET = FIXED_CONNECTIONS + 3


@dataclass(frozen=True)
class ConnectionBudget:
    """How a process's connections are shared out."""

    total: int
    registry_pool: int
    shared_tier: int
    pinned_slots: int
    pinned_pool_max: int

    @property
    def used(self) -> int:
        """Connections the process may open at most with this split."""
        pinned = self.pinned_slots * self.pinned_pool_max
        return FIXED_CONNECTIONS + self.registry_pool + self.shared_tier + pinned

    @classmethod
    def split(
        cls,
        total: int,
        *,
        pinned_pool_max: int = 1,
        pinned_slots: int | None = None,
        registry_pool: int | None = None,
    ) -> ConnectionBudget:
        """Share ``total`` out; explicit ``pinned_slots`` / ``registry_pool`` are honoured.

        Raises :class:`ValueError` naming the setting when the parts do not fit in ``total``.
        """
        if total < MIN_BUDGET:
            raise ValueError(f"a connection budget below {MIN_BUDGET} leaves a part with none")
        registry = registry_pool or min(DEFAULT_REGISTRY_POOL, max(1, (total - 2) // 8))
        rest = total - FIXED_CONNECTIONS - registry
        if pinned_slots is None:
            shared = max(1, (rest + 1) // 2 + 1)
            slots = (rest - shared) // pinned_pool_max
        else:
            slots = pinned_slots
            shared = rest - slots * pinned_pool_max
        if shared < 1:
            raise ValueError(
                f"TENANT_CACHE_SIZE={slots} x TENANT_POOL_MAX={pinned_pool_max} leaves no "
                f"connection of DB_CONNECTION_BUDGET={total} for the shared tier"
            )
        return cls(total, registry, shared, max(slots, 0), pinned_pool_max)
