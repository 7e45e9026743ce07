"""The bot's one error handler: every failure becomes a short, localized, ephemeral reply (a
part of :class:`GuildhallBot`)."""

from __future__ import annotations

import logging
import math
import sys
from typing import Any

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction, MessageInteraction, ModalInteraction

from app.cogs._common import AnyInter, CommandInter, tr
from app.i18n import UserFacingError
from app.log import guild_context
from app.metrics import BotMetrics
from app.tenancy import (
    GuildBusy,
    InvalidGuildId,
    TenantNotFound,
    TenantUnavailable,
    is_database_unavailable,
)

# The bot's one logger, as before the error handler had a module of its own.
log = logging.getLogger("app.bot")

Reply = tuple[str, dict[str, object]]
#: Interactions answered by listeners (buttons, modals) rather than by commands.
ComponentOrModal = (MessageInteraction, ModalInteraction)


class ErrorHandling(commands.AutoShardedInteractionBot):
    """``on_error``, ``on_slash_command_error`` and the replies of :class:`GuildhallBot`."""

    metrics: BotMetrics

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
