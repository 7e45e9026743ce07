"""GuildhallBot: the disnake InteractionBot that serves every guild from its own schema.

It takes the settings and an already started :class:`~app.tenancy.Tenancy` (``guildhall run``
opens one; tests pass theirs), loads every feature package under :mod:`app.cogs`, keeps the
tenant registry in step with the guilds it is in (:mod:`app.bot._lifecycle`), and owns the one
error handler that turns failures into short, localized, ephemeral replies
(:mod:`app.bot._errors`). Cogs may drop raw gateway events before disnake parses them
(``bot.gateway_filter``, :mod:`app.bot.gateway`).
"""

from __future__ import annotations

import importlib
import logging
import math
import pkgutil
from typing import Any

import disnake

from app import heap
from app.bot._errors import ErrorHandling
from app.bot._lifecycle import LifecycleHandlers
from app.bot.gateway import GatewayFilter
from app.bot_shards import PendingShards, event_shard, shards_status
from app.cogs._common import CommandInter
from app.cogs._cooldowns import CommandLimits
from app.i18n import localization_store
from app.log import shard_context
from app.metrics import BotMetrics
from app.settings import Settings
from app.tenancy import Tenancy

log = logging.getLogger(__name__)

FEATURES_PACKAGE = "app.cogs"


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


class GuildhallBot(LifecycleHandlers, ErrorHandling):
    """Slash commands, registered globally; one PostgreSQL schema per guild behind them.

    Sharded: it connects the shards ``SHARD_IDS`` of ``SHARD_COUNT`` (by default every shard
    Discord recommends) and reconciles each shard with the registry on its full READY.
    """

    def __init__(self, settings: Settings, tenancy: Tenancy, **options: Any) -> None:
        if (scope := settings.shard_scope) is not None:
            options.setdefault("shard_count", scope.shard_count)
            options.setdefault("shard_ids", list(scope.shard_ids))
        self._pending_shards = PendingShards()
        self._lifecycle_tasks = set()
        options.setdefault("intents", bot_intents())
        # Tags and notes are user-written text: nothing the bot says may ping anyone.
        options.setdefault("allowed_mentions", disnake.AllowedMentions.none())
        options.setdefault("default_contexts", disnake.InteractionContextTypes(guild=True))
        options.setdefault("default_install_types", disnake.ApplicationInstallTypes(guild=True))
        # No message cache: nothing reads a cached message (no edit/delete/reaction handlers),
        # and under a flood the deque of the last 1,000 messages is only work and memory.
        options.setdefault("max_messages", None)
        # Guildhall never joins voice: the "PyNaCl is not installed" warning is only noise.
        disnake.VoiceClient.warn_nacl = disnake.VoiceClient.warn_dave = False
        super().__init__(localization_provider=localization_store(), **options)
        self.settings = settings
        self.tenancy = tenancy
        #: Per-user and per-guild command cooldowns (app/cogs/_cooldowns.py).
        self.limits = CommandLimits(settings)
        self.metrics = BotMetrics()
        #: Raw gateway events dropped before parsing, counted in /metrics by event and reason.
        self.gateway_filter = GatewayFilter(
            self._connection.parsers,
            lambda event, reason: self.metrics.gateway_dropped.labels(event, reason).inc(),
        )
        for extension in feature_extensions():
            self.load_extension(extension)

    async def start(self, *args: Any, **kwargs: Any) -> None:
        """Log in and serve until closed; every garbage collection meanwhile is timed in
        ``/metrics`` (:mod:`app.heap`)."""
        with heap.watching_pauses(self.metrics.gc_paused):
            await super().start(*args, **kwargs)

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
