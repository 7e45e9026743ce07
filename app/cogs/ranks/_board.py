"""/leaderboard: the members with the most XP, ten a page, paged with buttons."""

from __future__ import annotations

from typing import Any

from disnake.ext import commands

from app.cogs import _paging as paging
from app.cogs._common import AnyInter, ClickInter, GuildInter, tr
from app.cogs._cooldowns import cooldown
from app.cogs.ranks._board_store import board_page
from app.i18n import localized
from app.tenancy import guild_db

PAGE_SIZE = 10
KIND = "board"


async def render(inter: AnyInter, guild_id: int, page: int) -> dict[str, Any]:
    """The message showing ``page`` (clamped to the pages there are now)."""
    async with guild_db(guild_id):
        found, total = await board_page(page * PAGE_SIZE, PAGE_SIZE)
        if not found and total:  # the board shrank under a click: show its last page
            page = paging.clamp(page, total, PAGE_SIZE)
            found, total = await board_page(page * PAGE_SIZE, PAGE_SIZE)
    if not found:
        return {"content": tr(inter, "leaderboard.empty"), "components": []}
    lines = [
        tr(inter, "leaderboard.line", position=s.position, member=f"<@{s.user_id}>",
           level=s.level, xp=s.xp)
        for s in found
    ]  # fmt: skip
    pages = paging.page_count(total, PAGE_SIZE)
    return {
        "content": tr(inter, "leaderboard.show", lines="\n".join(lines)),
        "components": paging.buttons(inter, KIND, page, pages),
    }


class Leaderboard(commands.Cog):
    """/leaderboard and its paging buttons."""

    def __init__(self, bot: commands.InteractionBot) -> None:
        self.bot = bot

    @commands.slash_command(
        name=localized("LEADERBOARD_NAME"), description=localized("LEADERBOARD_DESCRIPTION")
    )
    @cooldown("xp")
    async def leaderboard(self, inter: GuildInter) -> None:
        """Show the members with the most XP (first page)."""
        await inter.response.send_message(**await render(inter, inter.guild_id, 0))

    @commands.Cog.listener("on_button_click")
    async def turn_page(self, inter: ClickInter) -> None:
        """A click on ◀ or ▶ under a leaderboard: show that page in place."""
        await paging.turn(inter, KIND, render)
