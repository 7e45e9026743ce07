"""Waiting for the bot: every wait is bounded and re-checked on each request or event."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .gateway import OP_RECONNECT
from .interactions import FakeDiscordError

if TYPE_CHECKING:
    from .gateway import Gateway


class Waiting:
    """Mixed into FakeDiscord (which provides the state declared below)."""

    if TYPE_CHECKING:
        default_timeout: float
        gateway: Gateway
        registered_commands: dict[int | None, list[dict[str, Any]]]
        channel_messages: list[dict[str, Any]]
        _cond: asyncio.Condition
        _consumed: set[str]
        _ready_sent: bool

    async def wait_for(
        self, predicate: Callable[[], bool], what: str, timeout_s: float | None = None
    ) -> None:
        """Wait (bounded) until ``predicate()`` holds; re-checked on every request/event."""
        timeout_s = self.default_timeout if timeout_s is None else timeout_s
        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(predicate), timeout_s)
            except TimeoutError:
                msg = f"fake discord: timed out after {timeout_s}s waiting for {what}"
                raise FakeDiscordError(msg) from None

    async def wait_for_ready(
        self, *, timeout_s: float | None = None, commands: bool = True
    ) -> None:
        """Wait until the bot identified and got its guilds (and, by default, synced commands)."""

        def ready() -> bool:
            synced = any(self.registered_commands.values()) or not commands
            return self._ready_sent and self.gateway.active is not None and synced

        what = "the bot to connect" + (" and sync commands" if commands else "")
        await self.wait_for(ready, what, timeout_s)

    async def wait_for_shards(
        self, shard_ids: list[int], *, timeout_s: float | None = None
    ) -> None:
        """Wait until each of ``shard_ids`` has identified (or resumed) and is connected."""
        await self.wait_for(
            lambda: all(self.gateway.shard_connected(s) for s in shard_ids),
            f"shards {shard_ids} to connect",
            timeout_s,
        )

    async def wait_for_bot_message(
        self,
        channel_id: int | None = None,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout_s: float | None = None,
    ) -> dict[str, Any]:
        """Next not-yet-returned message the bot sent with POST /channels/{id}/messages."""
        found: list[dict[str, Any]] = []

        def check() -> bool:
            for m in self.channel_messages:
                if m["id"] in self._consumed:
                    continue
                if channel_id is not None and m["channel_id"] != str(channel_id):
                    continue
                if predicate is None or predicate(m):
                    found.append(m)
                    return True
            return False

        await self.wait_for(check, f"a bot message in channel {channel_id}", timeout_s)
        self._consumed.add(found[0]["id"])
        return found[0]

    async def request_reconnect(
        self, *, close_code: int | None = None, timeout_s: float | None = None
    ) -> None:
        """Send op 7 RECONNECT (or close the socket with ``close_code``, e.g. 4000) and wait
        until the bot RESUMEs its session; events sent meanwhile are replayed."""
        before = self.gateway.resume_count
        if close_code is None:
            await self.gateway.send_op(OP_RECONNECT)
        else:
            await self.gateway.drop(close_code)
        await self.wait_for(
            lambda: self.gateway.resume_count > before and self.gateway.active is not None,
            "the bot to resume",
            timeout_s,
        )

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()
