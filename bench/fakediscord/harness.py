"""Run a disnake bot against a FakeDiscord for the duration of a ``async with`` block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import disnake

from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=disnake.Client)


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    bot: ClientT,
    *,
    token: str | None = None,
    timeout_s: float | None = None,
) -> AsyncIterator[ClientT]:
    """Start ``bot`` against ``fake`` and wait until it is ready; close it on exit.

    ``disnake.http.Route.BASE`` points at the fake while the block runs and is restored
    afterwards. Waits for command sync too if the bot has application commands. If the
    bot dies during start-up (bad token, malformed payload...), its exception is raised
    here instead of a timeout. ``token`` defaults to ``fake.token``. Construct the bot
    with a small ``guild_ready_timeout`` (e.g. 0.05) or ``on_ready`` takes 2 s.
    """
    timeout_s = fake.default_timeout if timeout_s is None else timeout_s
    has_commands = bool(getattr(bot, "application_commands", None))
    with fake.patched_route_base():
        task = asyncio.create_task(bot.start(token or fake.token), name="fakediscord-bot")
        try:
            ready = asyncio.ensure_future(_ready(fake, bot, has_commands, timeout_s))
            await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
            if not ready.done():
                ready.cancel()
                task.result()  # re-raise why the bot stopped
                msg = "the bot stopped before becoming ready"
                raise RuntimeError(msg)
            ready.result()
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout_s)


async def _ready(fake: FakeDiscord, bot: disnake.Client, commands: bool, timeout_s: float) -> None:
    await fake.wait_for_ready(commands=commands, timeout_s=timeout_s)
    await asyncio.wait_for(bot.wait_until_ready(), timeout_s)
