"""The bot's guild lifecycle handlers: reconcile each shard at READY, provision on join, mark
left on removal; the database's outages are waited out (a part of :class:`GuildhallBot`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import disnake
from disnake.ext import commands

from app import heap
from app.bot_shards import PendingShards
from app.log import guild_context
from app.metrics import BotMetrics
from app.sharding import format_shard_ids
from app.tenancy import Tenancy, TenantNotFound, is_database_unavailable

# The bot's one logger, as before these handlers had a module of their own.
log = logging.getLogger("app.bot")

T = TypeVar("T")

#: A join (or a shard's reconcile) that failed because the database was unreachable is
#: retried after 1 s, 2 s, 4 s… then every minute.
JOIN_RETRY_FIRST_S = 1.0
JOIN_RETRY_MAX_S = 60.0


class LifecycleHandlers(commands.AutoShardedInteractionBot):
    """``on_ready``, ``on_guild_join`` and ``on_guild_remove`` of :class:`GuildhallBot`."""

    tenancy: Tenancy
    metrics: BotMetrics
    _pending_shards: PendingShards
    #: The lifecycle handlers running now (see :meth:`close`).
    _lifecycle_tasks: set[asyncio.Task[object]]

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        """Register the running handler's task, so that :meth:`close` can stop it."""
        task = asyncio.current_task()
        if task is None:  # not in a task: nothing to register
            yield
            return
        self._lifecycle_tasks.add(task)
        try:
            yield
        finally:
            self._lifecycle_tasks.discard(task)

    async def close(self) -> None:
        """Close the gateway, then cancel the lifecycle work still running.

        The tenancy is closed right after the bot (``guildhall run``): a READY reconcile or a
        join still provisioning would fail under it and log errors on a clean stop. Cancelled
        instead, its transaction rolls back and the next start does the work again.
        """
        await super().close()
        heap.thaw()
        tasks = [t for t in self._lifecycle_tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

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
        with self._in_flight():
            report = await self._until_the_database_answers(
                lambda: self.tenancy.reconcile(ready.present(self.guilds), ready.scope),
                f"reconciling shards {shards} with the registry",
                lambda: True,
            )
        if report is None:
            return
        # The start-up objects exist now: keep them out of every full collection (app/heap.py).
        frozen = heap.freeze_long_lived()
        log.debug("%d objects frozen out of the garbage collector's reach", frozen)
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
        with guild_context(guild.id), self._in_flight():
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
        with guild_context(guild.id), self._in_flight():
            try:
                await self.tenancy.mark_left(guild.id)
            except TenantNotFound:
                log.warning("left a guild that was never provisioned")
                return
            except Exception:
                log.exception("marking the guild as left failed")
                return
        self.dispatch("tenant_left", guild.id)
