"""disnake: gateway parsers (docs/library-behaviour.md) — the seam the bot's raw-event filter
(app/bot/gateway.py) relies on, pinned against a real disnake client and the fake Discord."""

from __future__ import annotations

import asyncio
from typing import Any

import disnake
from disnake.ext import commands

from bench.fakediscord import FakeDiscord, running_bot

USER = 700_000_000_000_000_001


async def test_a_parser_replaced_in_the_state_dict_gets_every_raw_event_first() -> None:
    """Replacing ``state.parsers["MESSAGE_CREATE"]`` after construction (before login) is
    what every shard's socket calls, with the payload as a plain dict; an event it does not
    pass on builds no Message and reaches no listener; ``max_messages=None`` caches none."""
    intents = disnake.Intents.none()
    intents.guilds = intents.guild_messages = True
    bot = commands.InteractionBot(intents=intents, guild_ready_timeout=0.05, max_messages=None)
    state = bot._connection
    original = state.parsers["MESSAGE_CREATE"]
    raw: list[dict[str, Any]] = []
    messages: list[disnake.Message] = []
    arrived = asyncio.Event()

    def parse(data: dict[str, Any]) -> None:
        raw.append(data)
        if data["content"] != "drop":
            original(data)

    async def on_message(message: disnake.Message) -> None:
        messages.append(message)
        arrived.set()

    state.parsers["MESSAGE_CREATE"] = parse
    bot.add_listener(on_message)
    # Not enforcing intents keeps the content, which tells the two messages apart.
    fake = FakeDiscord(enforce_intents=False)
    guild = fake.add_guild(name="Parsers")
    async with fake, running_bot(fake, bot):
        await fake.send_message(guild.id, None, USER, "drop")
        await fake.send_message(guild.id, None, USER, "keep")
        await asyncio.wait_for(arrived.wait(), 10)
        await asyncio.sleep(0.1)  # a wrongly dispatched "drop" would have arrived by now
    assert [d["content"] for d in raw] == ["drop", "keep"]
    assert type(raw[0]) is dict
    assert (int(raw[0]["guild_id"]), int(raw[0]["author"]["id"])) == (guild.id, USER)
    assert [m.content for m in messages] == ["keep"]
    assert state._messages is None and list(bot.cached_messages) == []
