"""``python -m bench fairness --path parse``: what one message over the XP budget costs the bot.

In one process, with no network and no database, ``--messages`` MESSAGE_CREATE payloads of
one guild that has used its budget are handed to a disnake client's parser, as the gateway
would after decoding them, two ways:

* ``parsed``: disnake builds each Message (message cache on, its default) and dispatches it;
  a listener refuses it at the budget, as the Ranks cog did before the gateway filter;
* ``dropped``: the bot's :class:`~app.bot.gateway.GatewayFilter` with the Ranks cog's check
  drops the raw payload (no cache), as the bot does now.

Reported: process CPU time per message (so the machine's other load barely matters), the
median of ``--repeat`` alternating runs of each way.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import logging
import statistics
import time
from types import SimpleNamespace
from typing import Any

import disnake
from disnake.ext import commands

from app.bot.gateway import GatewayFilter
from app.cogs.ranks._cog import Ranks
from app.cogs.ranks._flood import GuildMessageBudget
from app.rates import Rate
from bench.fakediscord import FakeDiscord
from bench.fakediscord.models import message_payload

AUTHOR = 600_000_000_000_000_001


def _payloads() -> tuple[dict[str, Any], dict[str, Any], int]:
    fake = FakeDiscord()
    guild = fake.add_guild(name="Noisy")
    member = fake.add_member(guild.id, AUTHOR)
    message = message_payload(
        message_id=1, channel_id=guild.channel_id, guild_id=guild.id, author=member.user,
        member=member,
    )  # fmt: skip
    return guild.payload(), message, guild.id


async def _cpu_per_message(way: str, count: int) -> float:
    """Process CPU seconds per over-budget message handled ``way``."""
    guild, message, guild_id = _payloads()
    intents = disnake.Intents.none()
    intents.guilds = intents.guild_messages = True
    bot = commands.InteractionBot(intents=intents, max_messages=1000 if way == "parsed" else None)
    state = bot._connection
    state.parsers["GUILD_CREATE"](copy.deepcopy(guild))
    budget = GuildMessageBudget(Rate(1, 3600))
    budget.take(guild_id)  # the guild's one message of the window: the rest are over it
    if way == "parsed":

        async def on_message(message: disnake.Message) -> None:
            if message.guild is None or message.author.bot or message.webhook_id is not None:
                return
            budget.take(message.guild.id)

        bot.add_listener(on_message)
    else:
        ranks = SimpleNamespace(budget=budget)  # all that Ranks.not_counted reads
        check = Ranks.not_counted.__get__(ranks)
        GatewayFilter(state.parsers).add("MESSAGE_CREATE", check)
    parse = state.parsers["MESSAGE_CREATE"]
    payloads = [copy.deepcopy(message) for _ in range(count)]  # fresh dicts, as json.loads
    started = time.process_time()
    for index, data in enumerate(payloads):
        parse(data)
        if index % 100 == 99:
            await asyncio.sleep(0)  # the listener tasks run, as they would between reads
    await asyncio.sleep(0.01)
    spent = time.process_time() - started
    await bot.close()
    if budget.dropped < count:
        raise RuntimeError(f"{way}: only {budget.dropped} of {count} messages reached the budget")
    return spent / count


def run_parse(args: argparse.Namespace) -> dict[str, Any]:
    """Median CPU per message of each way, alternating ``args.repeat`` times."""
    logging.getLogger("app.cogs.ranks._flood").setLevel(logging.ERROR)
    samples: dict[str, list[float]] = {"parsed": [], "dropped": []}
    for _ in range(args.repeat):
        for way, runs in samples.items():
            runs.append(asyncio.run(_cpu_per_message(way, args.messages)))
    result = {way: round(statistics.median(runs) * 1e6, 1) for way, runs in samples.items()}
    if not args.json:
        print(
            f"parse: CPU per MESSAGE_CREATE over the XP budget ({args.messages} messages,"
            f" median of {args.repeat}): parsed and refused by a listener"
            f" {result['parsed']} µs, dropped raw {result['dropped']} µs"
        )
    return {"cpu_us_per_message": result}
