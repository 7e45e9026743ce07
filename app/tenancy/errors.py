"""Typed errors of the tenancy core. Each message names the thing and the fix."""

from __future__ import annotations

from datetime import datetime

from app.snowflake import SNOWFLAKE_RANGE


class TenancyError(Exception):
    """Base class of every error the tenancy core raises on purpose."""


class InvalidGuildId(TenancyError, ValueError):
    """A value that is not a Discord guild id (positive integer below 2**63)."""

    def __init__(self, value: object) -> None:
        self.value = value
        shown = repr(value) if not isinstance(value, str) else repr(value[:40])
        super().__init__(
            f"{shown} is not a guild id; expected a Discord snowflake ({SNOWFLAKE_RANGE})"
        )


class TenantNotFound(TenancyError, LookupError):
    """The guild has no tenant (no registry row / schema)."""

    def __init__(self, guild_id: int) -> None:
        self.guild_id = guild_id
        super().__init__(
            f"guild {guild_id} has no schema guild_{guild_id}; "
            f'run "guildhall tenants provision {guild_id}"'
        )


class TenantUnavailable(TenancyError):
    """The guild's instance is disabled, expired or left: its data is refused, not lost."""

    def __init__(
        self,
        guild_id: int,
        status: str,
        reason: str | None = None,
        paid_until: datetime | None = None,
    ) -> None:
        self.guild_id = guild_id
        self.status = status
        self.reason = reason
        self.paid_until = paid_until
        detail = f" (reason: {reason})" if reason else ""
        if status == "expired" and paid_until is not None:
            detail = f" (paid until {paid_until:%Y-%m-%d})"
        super().__init__(
            f"guild {guild_id} is {status}{detail}. "
            f"Re-enable with: guildhall tenants enable {guild_id}"
        )


class ProvisioningError(TenancyError):
    """Creating a guild's schema failed; nothing was left behind."""


class ClientCacheClosed(TenancyError):
    """The per-guild client cache was closed (the process is shutting down)."""
