"""XP from chatting, and /rank (/leaderboard is in :mod:`app.cogs.ranks._board`).

Every message a member posts in a guild counts (``message_count``); at most one a minute
also earns 15 to 25 XP. Bots, webhooks and users who ran ``/privacy opt-out`` are ignored, and
so is every message in a disabled, expired or left guild (nothing is read or written there).
The bot has no message-content intent: ``on_message`` still fires with empty content, which
is all XP needs.

Level curve (MEE6-like, see :mod:`app.cogs.ranks._levels`): going from level ``l`` to
``l + 1`` takes ``5l² + 50l + 100`` XP — level 1 at 100 XP, level 5 at 1,150, level 10 at
4,675, level 20 at 23,850.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import disnake
from disnake.ext import commands

from app.cogs import _guild_settings as guild_settings
from app.cogs._common import GuildInter, reply, tr
from app.cogs._cooldowns import cooldown
from app.cogs._reward_roles import reward_level_up
from app.cogs.ranks import _store as ranks
from app.cogs.ranks._announce import announce, levelled_up
from app.cogs.ranks._flood import GuildMessageBudget
from app.cogs.ranks._levels import COOLDOWN_SECONDS, GAIN_MAX, GAIN_MIN, progress
from app.i18n import localized
from app.log import guild_context
from app.tenancy import TenancyError, guild_db, is_database_unavailable

log = logging.getLogger(__name__)


def member_option() -> Any:
    """The optional ``member`` option of /rank."""
    return commands.Param(
        None,
        name=localized("OPTION_RANK_MEMBER_NAME"),
        description=localized("OPTION_RANK_MEMBER_DESCRIPTION"),
    )


def counted_in(config: guild_settings.GuildConfig, message: disnake.Message) -> bool:
    """Whether the guild counts messages where ``message`` was posted (a thread counts as
    its parent channel)."""
    parent = getattr(message.channel, "parent_id", None)
    return config.counts_messages_in(message.channel.id) and (
        parent is None or config.counts_messages_in(parent)
    )


class Ranks(commands.Cog):
    """Counts messages into XP and shows ranks."""

    def __init__(self, bot: commands.InteractionBot, rng: random.Random | None = None) -> None:
        self.bot = bot
        # XP gains are not secrets; a seeded Random makes them reproducible in tests.
        self.rng = rng or random.Random()  # noqa: S311
        self.cooldown = timedelta(seconds=COOLDOWN_SECONDS)
        #: XP_GUILD_BUDGET: messages beyond it in a window are not counted (see _flood.py).
        self.budget = GuildMessageBudget(bot.settings.xp_guild_budget)  # type: ignore[attr-defined]
        # The budget is taken on the raw event: a message it drops is never parsed.
        bot.gateway_filter.add("MESSAGE_CREATE", self.not_counted)  # type: ignore[attr-defined]

    def cog_unload(self) -> None:
        """Stop filtering MESSAGE_CREATE (the extension is unloaded)."""
        self.bot.gateway_filter.remove("MESSAGE_CREATE", self.not_counted)  # type: ignore[attr-defined]

    def not_counted(self, data: dict[str, Any]) -> str | None:
        """Why a raw MESSAGE_CREATE will not count, so it is dropped before disnake parses it
        (a bot's or a webhook's; over the guild's budget), or None.

        XP is the only use of MESSAGE_CREATE (the guild-messages intent is for it alone), so
        a message XP does not want is one nothing wants.
        """
        guild_id = data.get("guild_id")
        if guild_id is None:
            return None  # not in a guild: on_message ignores it
        if (data.get("author") or {}).get("bot") or data.get("webhook_id") is not None:
            return "bot"
        if not self.budget.take(int(guild_id)):
            return "xp_budget"  # not counted, and nothing waits
        return None

    @commands.Cog.listener()
    async def on_message(self, message: disnake.Message) -> None:
        """Count a member's message (and maybe award XP) in the guild it was posted in.

        Only the messages :meth:`not_counted` let through get here (within the budget)."""
        if message.guild is None or message.author.bot or message.webhook_id is not None:
            return
        with guild_context(message.guild.id):
            try:
                async with guild_db(message.guild.id):
                    # Inside the binding: a disabled guild is refused before any query.
                    # The settings come from this process's cache: no round trip per message.
                    config = await guild_settings.current(message.guild.id)
                    if not counted_in(config, message):
                        return
                    if await ranks.is_opted_out(message.author.id):
                        return
                    gain = self.rng.randint(GAIN_MIN, GAIN_MAX)
                    total = await ranks.record_message(
                        message.author.id, gain=gain, now=datetime.now(UTC), cooldown=self.cooldown
                    )
            except TenancyError:
                return  # disabled, expired, left or not set up: nothing is counted
            except Exception as exc:
                # A listener has no one to answer; log and let the next message try again.
                if is_database_unavailable(exc):
                    # Members chat on through an outage: one line per message, not a
                    # traceback each (the slash-command handler does the same).
                    log.warning(
                        "message from user %s not counted: the database is unavailable: %r",
                        message.author.id,
                        exc,
                    )
                    return
                log.exception("counting a message from user %s failed", message.author.id)
                return
            level = None if total is None else levelled_up(total, gain)
            if level is not None:
                await announce(config, message, level)
                await reward_level_up(message, level)

    @commands.slash_command(name=localized("RANK_NAME"), description=localized("RANK_DESCRIPTION"))
    @cooldown("xp")
    async def rank(
        self,
        inter: GuildInter,
        member: disnake.User | None = member_option(),  # noqa: B008 (disnake's Param idiom)
    ) -> None:
        """Show a member's level, XP and place (yours by default)."""
        who = member or inter.author
        async with guild_db(inter.guild_id):
            found = await ranks.standing(who.id)
        if found is None:
            await reply(inter, "rank.none", ephemeral=False, member=who.mention)
            return
        step = progress(found.xp)
        await reply(
            inter,
            "rank.show",
            ephemeral=False,
            member=who.mention,
            level=found.level,
            xp=found.xp,
            into=step.into_level,
            needed=step.for_next,
            position=found.position,
            messages=tr(inter, "rank.messages", count=found.message_count),
        )
