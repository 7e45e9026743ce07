"""GuildhallBot: the disnake InteractionBot that serves every guild from its own schema.

It takes the settings and an already started :class:`~app.tenancy.Tenancy` (``guildhall run``
opens one; tests pass theirs), loads every feature package under :mod:`app.cogs`, keeps the
tenant registry in step with the guilds it is in, and owns the one error handler that turns
failures into short, localized, ephemeral replies.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import math
import pkgutil
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction, MessageInteraction, ModalInteraction

from app.bot_shards import PendingShards, event_shard, shards_status
from app.cogs._common import AnyInter, CommandInter, tr
from app.cogs._cooldowns import CommandLimits
from app.i18n import UserFacingError, localization_store
from app.log import guild_context, shard_context
from app.metrics import BotMetrics
from app.settings import Settings
from app.sharding import format_shard_ids
from app.tenancy import (
    GuildBusy,
    InvalidGuildId,
    Tenancy,
    TenantNotFound,
    TenantUnavailable,
    is_database_unavailable,
)

log = logging.getLogger(__name__)

FEATURES_PACKAGE = "app.cogs"

Reply = tuple[str, dict[str, object]]
T = TypeVar("T")
#: Interactions answered by listeners (buttons, modals) rather than by commands.
ComponentOrModal = (MessageInteraction, ModalInteraction)

#: A join (or a shard's reconcile) that failed because the database was unreachable is
#: retried after 1 s, 2 s, 4 s… then every minute.
JOIN_RETRY_FIRST_S = 1.0
JOIN_RETRY_MAX_S = 60.0


def feature_extensions(package_name: str = FEATURES_PACKAGE) -> list[str]:
    """Every feature package under ``package_name`` (names starting with ``_`` are helpers)."""
    package = importlib.import_module(package_name)
    return sorted(
        f"{package_name}.{module.name}"
        for module in pkgutil.iter_modules(package.__path__)
        if module.ispkg and not module.name.startswith("_")
    )


def bot_intents() -> disnake.Intents:
    """Non-privileged intents only: guilds (lifecycle) and guild messages (XP, no content)."""
    intents = disnake.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    return intents


class GuildhallBot(commands.AutoShardedInteractionBot):
    """Slash commands, registered globally; one PostgreSQL schema per guild behind them.

    Sharded: it connects the shards ``SHARD_IDS`` of ``SHARD_COUNT`` (by default every shard
    Discord recommends) and reconciles each shard with the registry on its full READY.
    """

    def __init__(self, settings: Settings, tenancy: Tenancy, **options: Any) -> None:
        if (scope := settings.shard_scope) is not None:
            options.setdefault("shard_count", scope.shard_count)
            options.setdefault("shard_ids", list(scope.shard_ids))
        self._pending_shards = PendingShards()
        options.setdefault("intents", bot_intents())
        # Tags and notes are user-written text: nothing the bot says may ping anyone.
        options.setdefault("allowed_mentions", disnake.AllowedMentions.none())
        options.setdefault("default_contexts", disnake.InteractionContextTypes(guild=True))
        options.setdefault("default_install_types", disnake.ApplicationInstallTypes(guild=True))
        # Guildhall never joins voice: the "PyNaCl is not installed" warning is only noise.
        disnake.VoiceClient.warn_nacl = disnake.VoiceClient.warn_dave = False
        super().__init__(localization_provider=localization_store(), **options)
        self.settings = settings
        self.tenancy = tenancy
        #: Per-user and per-guild command cooldowns (app/cogs/_cooldowns.py).
        self.limits = CommandLimits(settings)
        self.metrics = BotMetrics()
        for extension in feature_extensions():
            self.load_extension(extension)

    async def is_owner(self, user: disnake.User | disnake.Member) -> bool:
        """The application's owner or team members (asked from Discord), or ``OWNER_IDS``."""
        if user.id in self.settings.owner_ids:
            return True
        return await super().is_owner(user)

    def gateway_status(self) -> dict[str, Any]:
        """For ``/healthz``: ready with every shard connected, mean latency, guild count, and
        each shard's state, latency and guilds."""
        latency = self.latency
        shards = shards_status(self.shards, self.guilds)
        return {
            "ok": self.is_ready()
            and not self.is_closed()
            and all(shard["state"] == "connected" for shard in shards.values()),
            "latency_ms": round(latency * 1000, 1) if math.isfinite(latency) else None,
            "guilds": len(self.guilds),
            "shard_count": self.shard_count,
            "shards": shards,
        }

    # disnake's own bases disagree on the first parameter's name (event / event_name).
    def dispatch(self, event: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Every event's handlers run with its shard in the log context (tasks copy it)."""
        if event == "shard_connect":
            # Synchronous, inside READY's parsing: the cache is as READY left it.
            self._pending_shards.identified(args[0], self.guilds)
        with shard_context(event_shard(event, args, self.shard_count)):
            super().dispatch(event, *args, **kwargs)

    async def process_application_commands(self, interaction: CommandInter) -> None:
        """Handle a command, timed for ``/metrics`` (its end: completion or the error reply)."""
        self.metrics.interaction_started(interaction.id)
        await super().process_application_commands(interaction)

    async def on_slash_command_completion(self, inter: CommandInter) -> None:
        """A slash command ended without error."""
        self.metrics.interaction_finished(inter.id, inter.application_command.qualified_name, "ok")

    # --- guild lifecycle ------------------------------------------------------------------

    async def on_ready(self) -> None:
        """For each shard that had a full READY: provision guilds joined while offline,
        reactivate returning ones and mark left the ones that removed the bot, in batches.

        While the database is unreachable this is retried like a join (Discord will not send
        the READY again); each attempt takes the shards' guilds as the cache has them then.
        """
        ready = self._pending_shards.take(self.shard_count or 1)
        if ready is None:
            return
        shards = format_shard_ids(ready.scope.shard_ids)
        report = await self._until_the_database_answers(
            lambda: self.tenancy.reconcile(ready.present(self.guilds), ready.scope),
            f"reconciling shards {shards} with the registry",
            lambda: True,
        )
        if report is None:
            return
        self.metrics.provisioning.labels("ok").inc(len(report.provisioned))
        self.metrics.provisioning.labels("failed").inc(len(report.failed))
        for guild_id, error in report.failed.items():
            log.error(
                "guild %s could not be provisioned: %s",
                guild_id,
                error,
                extra={"guild_id": guild_id},
            )
        log.info(
            "ready as %s on shards %s of %d in %d guilds "
            "(%d provisioned, %d reactivated, %d marked left, %d failed)",
            self.user,
            shards,
            ready.scope.shard_count,
            len(ready.present(self.guilds)),
            len(report.provisioned),
            len(report.reactivated),
            len(report.left),
            len(report.failed),
        )

    async def _until_the_database_answers(
        self, attempt: Callable[[], Awaitable[T]], what: str, still_wanted: Callable[[], bool]
    ) -> T | None:
        """``attempt()``, retried while the database is unreachable, backing off up to a
        minute; None when another error ended it (logged), the bot closed or the work is no
        longer ``still_wanted()``."""
        delay = JOIN_RETRY_FIRST_S
        while True:
            try:
                return await attempt()
            except Exception as exc:
                if not is_database_unavailable(exc):
                    log.exception("%s failed", what)
                    return None
                log.warning(
                    "%s failed: the database is unavailable (%r); retrying in %.0f s",
                    what,
                    exc,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, JOIN_RETRY_MAX_S)
            if self.is_closed() or not still_wanted():
                return None

    async def on_guild_join(self, guild: disnake.Guild) -> None:
        """Joined (or rejoined): provision the guild; a rejoin reactivates a ``left`` one.

        While the database is unreachable the join is retried (backing off up to a minute)
        until it succeeds, the bot leaves the guild or the bot closes: Discord sends the join
        only once. Dispatches ``tenant_joined(guild_id)`` once the registry is updated.
        """
        with guild_context(guild.id):
            tenant = await self._until_the_database_answers(
                lambda: self.tenancy.mark_joined(guild.id, guild.name),
                "provisioning the guild on join",
                lambda: self.get_guild(guild.id) is not None,
            )
            if tenant is None:
                self.metrics.provisioning.labels("failed").inc()
                return
            self.metrics.provisioning.labels("ok").inc()
            log.info("joined guild %r (status %s)", guild.name, tenant.status)
        # For cogs (and tests) that act once the guild's data exists: on_tenant_joined(id).
        self.dispatch("tenant_joined", guild.id)

    async def on_guild_remove(self, guild: disnake.Guild) -> None:
        """Removed: mark the guild ``left``; its data stays until the retention period ends.

        Dispatches ``tenant_left(guild_id)`` once the registry is updated.
        """
        with guild_context(guild.id):
            try:
                await self.tenancy.mark_left(guild.id)
            except TenantNotFound:
                log.warning("left a guild that was never provisioned")
                return
            except Exception:
                log.exception("marking the guild as left failed")
                return
        self.dispatch("tenant_left", guild.id)

    async def on_error(self, event_method: str, *args: Any, **kwargs: Any) -> None:
        """A listener failed: a button or modal listener's caller gets the same short reply
        a slash command's would; anything else is logged with its traceback."""
        # disnake passes the listener's arguments and leaves the exception in exc_info
        # (docs/library-behaviour.md, "disnake: listener errors reach on_error").
        error = sys.exc_info()[1]
        inter = args[0] if args else None
        if error is not None and isinstance(inter, ComponentOrModal):
            key, params = self.explain(inter, error)
            await self.send_error(inter, tr(inter, key, **params))
            return
        log.exception("unhandled error in %s", event_method)

    # --- the one error handler ------------------------------------------------------------

    async def on_slash_command_error(
        self, interaction: CommandInter, exception: commands.CommandError
    ) -> None:
        """Turn any failure of a slash command into a short ephemeral reply in the caller's
        language; log what the user cannot fix."""
        error: BaseException = exception
        if isinstance(exception, commands.CommandInvokeError):
            error = exception.original
        key = await self.answer_error(interaction, error)
        self.metrics.interaction_finished(
            interaction.id,
            interaction.application_command.qualified_name,
            self.metrics.outcome_of_reply(key),
        )

    async def answer_error(self, inter: AnyInter, error: BaseException) -> str:
        """Reply to ``inter`` with what ``error`` means for the user; the reply's key."""
        key, params = self.explain(inter, error)
        await self.send_error(inter, tr(inter, key, **params))
        return key

    def explain(self, inter: AnyInter, error: BaseException) -> Reply:
        """The reply key and parameters for ``error``; logs the ones that need an operator."""
        if isinstance(error, UserFacingError):
            return error.key, error.params
        if isinstance(error, TenantUnavailable):
            return tenant_unavailable_reply(error)
        if isinstance(error, GuildBusy):
            return "errors.guild_busy", {}
        if isinstance(error, commands.CommandOnCooldown):
            return cooldown_reply(error)
        if isinstance(error, TenantNotFound):
            return "errors.tenant_not_found", {"guild_id": error.guild_id}
        if isinstance(error, InvalidGuildId):
            return "errors.invalid_guild_id", {"value": str(error.value)[:40]}
        if isinstance(error, commands.NotOwner):
            return "errors.not_owner", {}
        if isinstance(error, commands.MissingPermissions):
            return "errors.missing_permissions", {
                "permissions": ", ".join(error.missing_permissions)
            }
        if isinstance(error, commands.NoPrivateMessage):
            return "errors.guild_only", {}
        if isinstance(error, commands.CheckFailure):
            return "errors.not_allowed", {}
        command = what_was_used(inter)
        with guild_context(inter.guild_id):
            if is_database_unavailable(error):
                log.warning("/%s: the database is unavailable: %r", command, error)
                return "errors.database_unavailable", {}
            log.error("/%s failed", command, exc_info=error)
        return "errors.unexpected", {}

    async def send_error(self, inter: AnyInter, text: str) -> None:
        """Send ``text`` ephemerally, as the response or as a follow-up if one was sent."""
        try:
            if inter.response.is_done():
                await inter.followup.send(text, ephemeral=True)
            else:
                await inter.response.send_message(text, ephemeral=True)
        except disnake.HTTPException as exc:
            with guild_context(inter.guild_id):
                log.warning("could not deliver an error reply: %s", exc)


def cooldown_reply(error: commands.CommandOnCooldown) -> Reply:
    """Too many uses: by this member, or by the whole guild; retry in whole seconds."""
    seconds = max(1, math.ceil(error.retry_after))
    if error.type is commands.BucketType.guild:
        return "errors.cooldown_guild", {"seconds": seconds}
    return "errors.cooldown_user", {"seconds": seconds}


def what_was_used(inter: AnyInter) -> str:
    """For logs: the slash command, or the component / modal, an interaction came from."""
    if isinstance(inter, ComponentOrModal):
        return f"component {inter.data.custom_id}"
    if isinstance(inter, ApplicationCommandInteraction):
        return str(inter.application_command.qualified_name)
    return "interaction"


#: The name the metrics use for what the user ran.
command_name = what_was_used


def tenant_unavailable_reply(error: TenantUnavailable) -> Reply:
    """Why a guild's commands are refused: disabled (with its reason) or expired."""
    if error.status == "expired" and error.paid_until is not None:
        return "errors.tenant_expired", {"date": f"{error.paid_until:%Y-%m-%d}"}
    if error.reason:
        return "errors.tenant_disabled_reason", {
            "reason": disnake.utils.escape_markdown(error.reason)
        }
    return "errors.tenant_disabled", {}
