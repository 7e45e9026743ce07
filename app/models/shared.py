"""Tortoise app ``shared``: the tenant registry and the one global record of a user.

These tables live in the shared schema. Guild schemas never reference them with a foreign
key, so every guild schema stays self-contained (docs/library-behaviour.md, "Citus:
schema-based sharding").
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class TenantStatus(StrEnum):
    """What the operator (or Discord) says about a guild's instance."""

    ACTIVE = "active"
    DISABLED = "disabled"
    LEFT = "left"


class Tenant(Model):
    """One row per guild that ever had the bot: where its data lives and whether it is served."""

    guild_id = fields.BigIntField(primary_key=True, generated=False)
    schema_name = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100, default="", db_default="")
    status = fields.CharEnumField(
        TenantStatus, max_length=16, default=TenantStatus.ACTIVE, db_default="active"
    )
    reason = fields.CharField(max_length=200, null=True)
    paid_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    left_at = fields.DatetimeField(null=True)
    schema_version = fields.CharField(max_length=255, default="", db_default="")

    class Meta:
        table = "tenant"
        app = "shared"

    def __str__(self) -> str:
        return f"guild {self.guild_id} ({self.status})"


class User(Model):
    """A Discord user across every guild: today only their XP-tracking opt-out."""

    user_id = fields.BigIntField(primary_key=True, generated=False)
    tracking_opt_out = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user"
        app = "shared"
