"""The bot the fake Discord's self-tests drive, and a recorder of its events."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import disnake
from disnake.ext import commands

from bench.fakediscord import MANAGE_MESSAGES

FRUITS = ["apple", "apricot", "banana", "cherry"]


class Recorder:
    """Remembers every bot event of interest so tests can wait for them afterwards."""

    def __init__(self) -> None:
        self.events: dict[str, list[Any]] = defaultdict(list)
        self._changed = asyncio.Event()

    def record(self, name: str, value: Any) -> None:
        self.events[name].append(value)
        self._changed.set()

    async def wait(self, name: str, count: int = 1, timeout_s: float = 5.0) -> list[Any]:
        async with asyncio.timeout(timeout_s):
            while len(self.events[name]) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events[name]


def make_bot(rec: Recorder) -> commands.InteractionBot:
    """A bot using what the fake must support: sub-commands, deferrals, autocomplete,
    permission checks, buttons and modals, channel messages; ``rec`` records its events."""
    intents = disnake.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    bot = commands.InteractionBot(intents=intents, guild_ready_timeout=0.05)
    _add_ping(bot)
    _add_channel_commands(bot)
    _add_listeners(bot, rec)
    return bot


def _add_ping(bot: commands.InteractionBot) -> None:
    """/ping and its sub-commands: replies, deferrals, edits, autocomplete."""

    @bot.slash_command(description="Ping things")
    async def ping(inter: disnake.AppCmdInter) -> None:
        pass

    @ping.sub_command(description="Answer with pong")
    async def pong(
        inter: disnake.AppCmdInter, target: disnake.User | None = None, secret: bool = False
    ) -> None:
        who = f" {target.mention}" if target else ""
        await inter.response.send_message(
            f"pong{who} ({inter.locale.value}, {inter.guild_locale})", ephemeral=secret
        )

    @ping.sub_command(description="Take a while")
    async def slow(inter: disnake.AppCmdInter) -> None:
        await inter.response.defer(ephemeral=True)
        await asyncio.sleep(0.01)
        await inter.followup.send("done slowly")

    @ping.sub_command(description="Take a while, then edit")
    async def edit(inter: disnake.AppCmdInter) -> None:
        await inter.response.defer()
        await inter.edit_original_response(content="edited", embed=disnake.Embed(title="T"))

    @ping.sub_command(description="Pick a fruit")
    async def fruit(inter: disnake.AppCmdInter, name: str) -> None:
        await inter.response.send_message(f"you picked {name}")

    @fruit.autocomplete("name")
    async def fruit_autocomplete(inter: disnake.AppCmdInter, string: str) -> list[str]:
        return [f for f in FRUITS if f.startswith(string)]

    _add_ping_checked_and_ui(ping)


def _add_ping_checked_and_ui(ping: Any) -> None:
    """/ping purge (a permission check and its error handler) and /ping ui (a button)."""

    @ping.sub_command(description="Admins only")
    @commands.has_permissions(manage_messages=True)
    async def purge(inter: disnake.AppCmdInter) -> None:
        await inter.response.send_message("purged")

    @purge.error
    async def purge_error(inter: disnake.AppCmdInter, error: Exception) -> None:
        await inter.response.send_message(f"denied: {type(error).__name__}", ephemeral=True)

    @ping.sub_command(description="Buttons and modals")
    async def ui(inter: disnake.AppCmdInter) -> None:
        await inter.response.send_message(
            "choose", components=[disnake.ui.Button(label="Go", custom_id="go")]
        )


def _add_channel_commands(bot: commands.InteractionBot) -> None:
    """/say (a channel message) and /modonly (default member permissions)."""

    @bot.slash_command(description="Echo into the channel")
    async def say(inter: disnake.AppCmdInter, text: str) -> None:
        await inter.response.send_message("ok", ephemeral=True)
        await inter.channel.send(text)

    @bot.slash_command(description="Moderators only", default_member_permissions=MANAGE_MESSAGES)
    async def modonly(inter: disnake.AppCmdInter) -> None:
        await inter.response.send_message("hi mod")


def _add_listeners(bot: commands.InteractionBot, rec: Recorder) -> None:
    """The button opens a modal, the modal answers; messages and guild events are recorded."""

    @bot.listen("on_button_click")
    async def on_button(inter: disnake.MessageInteraction) -> None:
        await inter.response.send_modal(
            title="Tell me",
            custom_id="tell",
            components=[disnake.ui.TextInput(label="What", custom_id="what")],
        )

    @bot.listen("on_modal_submit")
    async def on_modal(inter: disnake.ModalInteraction) -> None:
        await inter.response.send_message(f"you said {inter.text_values['what']}")

    @bot.listen()
    async def on_message(message: disnake.Message) -> None:
        rec.record("message", message)

    def recording(name: str) -> Any:
        async def listener(*args: Any) -> None:
            rec.record(name, args)

        return listener

    for name in ("guild_available", "guild_join", "guild_remove", "ready"):
        bot.add_listener(recording(name), f"on_{name}")
