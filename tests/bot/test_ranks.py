"""XP from messages, /rank and /leaderboard, through the real client and a fake Discord."""

from __future__ import annotations

import pytest

from app.models.shared import User
from app.models.tenant import Member
from bench.fakediscord import FakeGuild
from tests.bot.conftest import ALICE, BOB, World, eventually

pytestmark = pytest.mark.e2e


async def member(world: World, guild: FakeGuild, user_id: int) -> Member | None:
    return await world.rows(guild, lambda: Member.get_or_none(user_id=user_id))


async def counted(world: World, guild: FakeGuild, user_id: int, messages: int) -> Member:
    """Wait until ``messages`` messages of the user were counted (the bot counts in its tasks)."""

    async def probe() -> Member | None:
        found = await member(world, guild, user_id)
        return found if found is not None and found.message_count >= messages else None

    return await eventually(probe)


async def test_first_message_earns_xp_and_the_next_is_cooling_down(
    world: World, guild: FakeGuild
) -> None:
    """A message earns 15 to 25 XP; a second one within the minute only counts."""
    await world.fake.send_message(guild.id, None, ALICE, "hello")
    first = await counted(world, guild, ALICE, 1)
    assert 15 <= first.xp <= 25
    assert first.last_xp_at is not None
    await world.fake.send_message(guild.id, None, ALICE, "again")
    second = await counted(world, guild, ALICE, 2)
    assert second.xp == first.xp


async def test_bots_messages_earn_nothing(world: World, guild: FakeGuild) -> None:
    """Messages from bots (including Guildhall's own) are ignored."""
    await world.fake.send_message(guild.id, None, BOB, "beep", bot=True)
    await world.fake.send_message(guild.id, None, ALICE, "marker")
    await counted(world, guild, ALICE, 1)  # handled after the bot's message
    assert await member(world, guild, BOB) is None


async def test_opted_out_users_earn_nothing(world: World, guild: FakeGuild) -> None:
    """A user who opted out (shared User row) is not counted in any guild."""
    user_id = 600_000_000_000_000_777
    await User.create(user_id=user_id, tracking_opt_out=True)
    await world.fake.send_message(guild.id, None, user_id, "hi")
    await world.fake.send_message(guild.id, None, ALICE, "marker")
    await counted(world, guild, ALICE, 1)
    assert await member(world, guild, user_id) is None


async def test_disabled_guild_counts_no_xp(world: World, guild: FakeGuild) -> None:
    """Messages in a disabled guild change nothing; enabling it counts again."""
    await world.tenancy.disable(guild.id, reason="unpaid")
    await world.fake.send_message(guild.id, None, ALICE, "hello")
    other = await world.new_guild()
    await world.fake.send_message(other.id, None, ALICE, "marker")
    await counted(world, other, ALICE, 1)  # the disabled guild's message was handled first
    assert await member(world, guild, ALICE) is None
    await world.tenancy.enable(guild.id)
    await world.fake.send_message(guild.id, None, ALICE, "back")
    assert (await counted(world, guild, ALICE, 1)).xp > 0


async def test_rank_shows_level_xp_and_position(world: World, guild: FakeGuild) -> None:
    """/rank shows the caller's level, XP, progress and place; others' with the option."""
    await world.rows(guild, lambda: Member.create(user_id=ALICE, xp=300, message_count=12))
    await world.rows(guild, lambda: Member.create(user_id=BOB, xp=90, message_count=3))
    mine = await world.slash(guild, ALICE, "rank")
    assert mine.content == (
        f"<@{ALICE}> is level **2** with **300** XP (45/220 towards the next level), "
        "rank **#1**, 12 messages counted."
    )
    assert not mine.ephemeral
    bobs = await world.slash(guild, ALICE, "rank", options={"member": BOB})
    assert bobs.content is not None
    assert bobs.content.startswith(f"<@{BOB}> is level **0** with **90** XP (90/100")
    assert "rank **#2**" in bobs.content


async def test_rank_of_a_member_without_xp_says_so(world: World, guild: FakeGuild) -> None:
    """/rank for someone never counted says they have no XP yet."""
    reply = await world.slash(guild, ALICE, "rank", options={"member": BOB})
    assert reply.content == f"<@{BOB}> has not earned any XP here yet."


async def test_leaderboard_orders_by_xp_and_shares_places_on_ties(
    world: World, guild: FakeGuild
) -> None:
    """/leaderboard lists members by XP; equal XP shares a place."""
    empty = await world.slash(guild, ALICE, "leaderboard")
    assert empty.content == "Nobody has earned XP here yet."

    async def seed() -> None:
        for user_id, xp in ((ALICE, 500), (BOB, 800), (600_000_000_000_000_005, 500)):
            await Member.create(user_id=user_id, xp=xp)

    await world.rows(guild, seed)
    board = await world.slash(guild, ALICE, "leaderboard")
    assert board.content == (
        "**Leaderboard**\n"
        f"**#1** <@{BOB}> · level 4 · 800 XP\n"
        f"**#2** <@{ALICE}> · level 3 · 500 XP\n"
        "**#2** <@600000000000000005> · level 3 · 500 XP"
    )
