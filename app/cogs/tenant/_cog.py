"""The /tenant commands, for bot owners only: the application's owner (or its team members)
and the users listed in ``OWNER_IDS``. Everyone else is refused before anything is read.

They keep working while a guild is disabled — that is how it gets enabled again — and take
an optional ``guild_id`` (a string: snowflakes exceed what Discord's integer options carry)
that defaults to the current guild, so an owner can act on any guild from anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import disnake
from disnake.ext import commands

from app.cogs._common import AnyInter, CommandInter, reply, shown, tr
from app.cogs.tenant import _store as store
from app.i18n import UserFacingError, localized
from app.models.shared import Tenant
from app.tenancy import (
    InvalidUntil,
    ReasonTooLong,
    TenantNotFound,
    TenantState,
    UntilInPast,
    guild_db,
    parse_guild_id,
    parse_reason,
)
from app.tenancy import parse_until as read_until

if TYPE_CHECKING:
    from app.bot import GuildhallBot


def guild_id_option() -> Any:
    """The optional ``guild_id`` option (a new Param per command)."""
    return commands.Param(
        None,
        name=localized("OPTION_GUILD_ID_NAME"),
        description=localized("OPTION_GUILD_ID_DESCRIPTION"),
    )


def target_guild(inter: CommandInter, raw: str | None) -> int:
    """The guild a /tenant command acts on: ``guild_id`` if given, else the current guild."""
    if raw is not None and raw.strip():
        return int(parse_guild_id(raw.strip()))  # InvalidGuildId becomes a clear reply
    if inter.guild_id is None:
        raise UserFacingError("tenant.guild_required")
    return inter.guild_id


def parse_until(raw: str | None, now: datetime) -> datetime | None:
    """``until`` read by the tenancy's rules (the CLI's too); a refusal becomes a reply."""
    try:
        return read_until(raw, now)
    except InvalidUntil as exc:
        raise UserFacingError("tenant.bad_until", value=shown(exc.value[:40])) from None
    except UntilInPast as exc:
        raise UserFacingError("tenant.until_past", value=shown(exc.value)) from None


def check_reason(raw: str | None) -> str | None:
    """The disable reason read by the tenancy's rules (the CLI's too); a refusal is a reply."""
    try:
        return parse_reason(raw)
    except ReasonTooLong as exc:
        raise UserFacingError(
            "tenant.reason_too_long", limit=exc.limit, length=exc.length
        ) from None


def human_size(size: int) -> str:
    """Bytes as B, KiB, MiB or GiB with one decimal."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def status_line(inter: AnyInter, tenant: Tenant) -> str:
    """The guild's effective status in words, with its reason or paid-until date."""
    state = TenantState.of(tenant)
    line = tr(inter, f"tenant.state.{state.effective_status()}")
    if tenant.reason:
        line += tr(inter, "tenant.state_reason", reason=shown(tenant.reason))
    if tenant.paid_until is not None:
        line += tr(inter, "tenant.state_until", until=f"{tenant.paid_until:%Y-%m-%d %H:%M}")
    return line


class TenantAdmin(commands.Cog):
    """Owner-only status, enable and disable of any guild's instance."""

    def __init__(self, bot: GuildhallBot) -> None:
        self.bot = bot

    async def cog_slash_command_check(self, inter: CommandInter) -> bool:
        """Refuse everyone but the bot's owners, before the command reads anything."""
        if not await self.bot.is_owner(inter.author):
            raise commands.NotOwner("only the bot's owners may use /tenant")
        return True

    @commands.slash_command(
        name=localized("TENANT_NAME"),
        description=localized("TENANT_DESCRIPTION"),
        contexts=disnake.InteractionContextTypes(guild=True, bot_dm=True),
        # Out of members' sight: Discord shows /tenant only to members who may manage the
        # server (a server's admins can change that under Integrations). The owner check
        # above still refuses everyone else, whatever they see.
        default_member_permissions=disnake.Permissions(manage_guild=True),
    )
    async def tenant(self, inter: CommandInter) -> None:
        """Parent of the /tenant sub-commands (never runs on its own)."""

    @tenant.sub_command(
        name=localized("TENANT_STATUS_NAME"), description=localized("TENANT_STATUS_DESCRIPTION")
    )
    async def status(self, inter: CommandInter, guild_id: str | None = guild_id_option()) -> None:
        """Show a guild's registry row, row counts, schema size and the connection tiers."""
        gid = target_guild(inter, guild_id)
        tenant = await self._tenant(gid)
        # require_active=False: an owner inspects disabled guilds too, without enabling them.
        async with guild_db(gid, require_active=False):
            counts = await store.row_counts()
        size = await store.size_bytes(gid)
        cache = self.bot.tenancy.connections.stats()
        lines = [
            tr(inter, "tenant.status_title", name=shown(tenant.name or "?"), guild_id=gid),
            tr(inter, "tenant.status_schema", schema=tenant.schema_name),
            tr(inter, "tenant.status_state", state=status_line(inter, tenant)),
            tr(
                inter,
                "tenant.status_rows",
                members=counts.members,
                tags=counts.tags,
                notes=counts.notes,
            ),
            tr(inter, "tenant.status_size", size=human_size(size)),
            tr(
                inter,
                "tenant.status_cache",
                hits=cache.hits,
                misses=cache.misses,
                evictions=cache.evictions,
                cached=cache.pinned_clients,
                capacity=cache.capacity,
                connections=cache.open_connections,
                shared=cache.shared_connections,
            ),
        ]
        await inter.response.send_message("\n".join(lines), ephemeral=True)

    @tenant.sub_command(
        name=localized("TENANT_ENABLE_NAME"), description=localized("TENANT_ENABLE_DESCRIPTION")
    )
    async def enable(
        self,
        inter: CommandInter,
        guild_id: str | None = guild_id_option(),
        until: str | None = commands.Param(
            None,
            name=localized("OPTION_UNTIL_NAME"),
            description=localized("OPTION_UNTIL_DESCRIPTION"),
        ),
    ) -> None:
        """Serve a guild again (until a date, if given); set up one the bot is in but lacks."""
        gid = target_guild(inter, guild_id)
        paid_until = parse_until(until, datetime.now(UTC))
        tenancy = self.bot.tenancy
        try:
            tenant = await tenancy.enable(gid, until=paid_until)
        except TenantNotFound:
            guild = self.bot.get_guild(gid)
            if guild is None:
                raise UserFacingError("tenant.unknown", guild_id=gid) from None
            # The bot is in the guild but it was never provisioned (joined while the
            # database was down): this is the fix the "not set up" reply points to.
            await tenancy.mark_joined(gid, guild.name)
            tenant = await tenancy.enable(gid, until=paid_until)
        if tenant.paid_until is not None:
            until_text = f"{tenant.paid_until:%Y-%m-%d %H:%M}"
            await reply(inter, "tenant.enabled_until", guild_id=gid, until=until_text)
        else:
            await reply(inter, "tenant.enabled", guild_id=gid)

    @tenant.sub_command(
        name=localized("TENANT_DISABLE_NAME"), description=localized("TENANT_DISABLE_DESCRIPTION")
    )
    async def disable(
        self,
        inter: CommandInter,
        guild_id: str | None = guild_id_option(),
        reason: str | None = commands.Param(
            None,
            name=localized("OPTION_REASON_NAME"),
            description=localized("OPTION_REASON_DESCRIPTION"),
        ),
    ) -> None:
        """Refuse a guild's commands from now on; nothing is deleted."""
        gid = target_guild(inter, guild_id)
        why = check_reason(reason)
        try:
            await self.bot.tenancy.disable(gid, reason=why)
        except TenantNotFound:
            raise UserFacingError("tenant.unknown", guild_id=gid) from None
        if why:
            await reply(inter, "tenant.disabled_reason", guild_id=gid, reason=shown(why))
        else:
            await reply(inter, "tenant.disabled", guild_id=gid)

    async def _tenant(self, guild_id: int) -> Tenant:
        try:
            return await self.bot.tenancy.get(guild_id)
        except TenantNotFound:
            raise UserFacingError("tenant.unknown", guild_id=guild_id) from None
