"""LISTEN for changes made by other processes (tenant statuses, opt-outs), reconnecting."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient

log = logging.getLogger(__name__)

#: The NOTIFY channel; the payload is the guild id whose status changed.
CHANNEL = "guildhall_tenant_status"
#: ``application_name`` of the listener's connection (to find it in pg_stat_activity).
LISTENER_APPLICATION_NAME = "guildhall-listener"


async def notify_status_change(conn: BaseDBAsyncClient, guild_id: int) -> None:
    """Announce that ``guild_id``'s tenant changed; send it inside the changing transaction so
    listeners hear it only once the change is committed."""
    await conn.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, str(guild_id)])


OnChange = Callable[[int | None], Coroutine[Any, Any, None]]


class StatusListener:
    """For each notification on a channel, calls that channel's handler with the payload's id;
    on (re)connect calls every handler with None.

    A (re)connect forgets everything because notifications sent while disconnected are lost.
    """

    def __init__(
        self, dsn: str, handlers: Mapping[str, OnChange], *, retry_seconds: float = 1.0
    ) -> None:
        self._dsn = dsn
        self._on_change = dict(handlers)
        self._retry = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()  # strong refs until done
        self.connected = asyncio.Event()

    def start(self) -> None:
        """Listen in the background until :meth:`stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="tenant-status-listener")

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("status listener lost its connection (%s); retrying", exc)
            self.connected.clear()
            await asyncio.sleep(self._retry)

    async def _listen_once(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(
            self._dsn, server_settings={"application_name": LISTENER_APPLICATION_NAME}
        )
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            for channel in self._on_change:
                await conn.add_listener(channel, self._notified)
            for handler in self._on_change.values():
                await handler(None)
            self.connected.set()
            while not lost.is_set():
                # Termination is only noticed on I/O; a cheap query every few seconds finds
                # a dead server even when no notification arrives.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), timeout=5)
                if not lost.is_set():
                    await conn.fetchval("SELECT 1")
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    def _notified(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        try:
            key = int(payload)
        except ValueError:
            log.warning("ignoring malformed notification %r on %s", payload, channel)
            return
        task = asyncio.get_running_loop().create_task(self._on_change[channel](key))
        self._handlers.add(task)
        task.add_done_callback(self._handled)

    def _handled(self, task: asyncio.Task[None]) -> None:
        self._handlers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("handling a status notification failed", exc_info=task.exception())
