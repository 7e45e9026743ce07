"""/leaderboard paged with buttons, through the real client and the fake Discord."""

from __future__ import annotations

import pytest

from app.models.tenant import Member
from bench.fakediscord import FakeGuild
from tests.bot.conftest import ALICE, BOB, World

pytestmark = pytest.mark.e2e

BASE = 700_000_000_000_000_000


def labels(reply_components: list[dict]) -> list[tuple[str, bool]]:
    """(label, disabled) of each button under a message."""
    return [
        (b["label"], bool(b.get("disabled"))) for row in reply_components for b in row["components"]
    ]


async def seed(world: World, guild: FakeGuild, xps: list[int]) -> None:
    async def create() -> None:
        await Member.bulk_create([Member(user_id=BASE + i, xp=xp) for i, xp in enumerate(xps)])

    await world.rows(guild, create)


async def test_leaderboard_pages_with_buttons_and_ties_span_pages(
    world: World, guild: FakeGuild
) -> None:
    """25 members: ten a page; ▶ shows the next page in place; a tie across pages shares
    the place; ◀ goes back; the ends are disabled."""
    xps = [1000 - 10 * i for i in range(25)]
    xps[10] = xps[9]  # the 10th and 11th share place 10
    await seed(world, guild, xps)
    first = await world.slash(guild, ALICE, "leaderboard")
    assert first.content is not None and first.content.count("\n") == 10
    assert first.content.splitlines()[10] == f"**#10** <@{BASE + 9}> · level 4 · 910 XP"
    assert labels(first.components) == [("◀", True), ("page 1/3", True), ("▶", False)]
    assert first.message is not None
    nxt = next(b for row in first.components for b in row["components"] if b["label"] == "▶")
    second = await world.fake.click(
        guild.id, BOB, first.message, nxt["custom_id"], wait_for_result=True
    )
    assert second.content is not None
    assert second.content.splitlines()[1] == f"**#10** <@{BASE + 10}> · level 4 · 910 XP"
    assert second.content.splitlines()[2] == f"**#12** <@{BASE + 11}> · level 4 · 890 XP"
    assert labels(second.components) == [("◀", False), ("page 2/3", True), ("▶", False)]
    last_id = next(b for row in second.components for b in row["components"] if b["label"] == "▶")
    third = await world.fake.click(
        guild.id, BOB, first.message, last_id["custom_id"], wait_for_result=True
    )
    assert third.content is not None and third.content.count("\n") == 5
    assert labels(third.components) == [("◀", False), ("page 3/3", True), ("▶", True)]


async def test_short_leaderboard_has_no_buttons(world: World, guild: FakeGuild) -> None:
    """A board that fits one page shows no buttons."""
    await seed(world, guild, [50, 40])
    board = await world.slash(guild, ALICE, "leaderboard")
    assert board.components == []
    assert board.content == (
        f"**Leaderboard**\n**#1** <@{BASE}> · level 0 · 50 XP\n"
        f"**#2** <@{BASE + 1}> · level 0 · 40 XP"
    )


async def test_a_page_past_the_end_shows_the_last_page(world: World, guild: FakeGuild) -> None:
    """When members were reset since the board was shown, ▶ shows the last page there is."""
    await seed(world, guild, [500 - i for i in range(12)])
    first = await world.slash(guild, ALICE, "leaderboard")
    await world.rows(guild, lambda: Member.filter(xp__lt=495).update(xp=0))
    nxt = next(b for row in first.components for b in row["components"] if b["label"] == "▶")
    after = await world.fake.click(
        guild.id, ALICE, first.message, nxt["custom_id"], wait_for_result=True
    )
    assert after.content is not None and after.content.count("\n") == 6
    assert after.components == []
