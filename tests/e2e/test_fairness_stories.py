"""Stories of a busy guild: the "server is busy" reply, command cooldowns, the XP budget."""

from __future__ import annotations

from collections.abc import AsyncIterator

import disnake
import pytest

from app.models.tenant import Member, Note, Tag
from app.tenancy import Tenancy
from bench.fakediscord import FakeGuild
from tests.e2e.conftest import DiscordWatch
from tests.e2e.world import ALICE, BOB, MOD, World, eventually, open_world
from tests.tenancy.fair_share import holding, limits

pytestmark = pytest.mark.e2e

MODERATE_MEMBERS = 1 << 40
BUSY_EN = "This server is busy right now. Please try again in a moment."
BUSY_FR = "Ce serveur est très sollicité en ce moment. Réessayez dans un instant."


@pytest.fixture
async def limited(tenancy: Tenancy, discord_watch: DiscordWatch) -> AsyncIterator[World]:
    """A bot with small cooldowns (tag create 2/60 per user, 3/60 per guild; note add 1/60
    per user) and an XP budget of 3 messages a minute per guild, in guilds A and B."""
    settings = {
        "cooldown_tag_create_user": "2/60",
        "cooldown_tag_create_guild": "3/60",
        "cooldown_note_add_user": "1/60",
        "xp_guild_budget": "3/60",
    }
    async with open_world(tenancy, startup=("Guild A", "Guild B"), **settings) as world:
        discord_watch.watch(world.fake, world.errors)
        yield world


async def _create(world: World, guild: FakeGuild, user: int, name: str, locale: str = "en-US"):
    options = {"name": name, "content": "x"}
    return await world.slash(guild, user, "tag", "create", options=options, locale=locale)


async def _tag_names(world: World, guild: FakeGuild) -> list[str]:
    return sorted(await world.rows(guild, lambda: Tag.all().values_list("name", flat=True)))


async def test_a_guild_at_its_connection_share_gets_a_busy_reply_in_its_language(
    world: World, guild_a: FakeGuild, guild_b: FakeGuild, tenancy: Tenancy
) -> None:
    """Guild A holds its whole shared share: /tag commands there answer "busy" (en, fr),
    ephemerally and changing nothing, while guild B is served normally; /metrics counts the
    refused leases."""
    refused_before = await _lease_waits(world, "refused_wait_timeout")
    with limits(tenancy, max_shared_leases=1, wait_seconds=0.1, max_waiting=4):
        async with holding(guild_a.id, 1):
            busy = await _create(world, guild_a, ALICE, "raid")
            busy_fr = await _create(world, guild_a, ALICE, "raid", locale="fr")
            served = await _create(world, guild_b, ALICE, "calm")
    assert (busy.content, busy.ephemeral) == (BUSY_EN, True)
    assert (busy_fr.content, busy_fr.ephemeral) == (BUSY_FR, True)
    assert served.content == "Tag **calm** created."
    assert await _tag_names(world, guild_a) == []
    after = await _create(world, guild_a, ALICE, "raid")
    assert after.content == "Tag **raid** created."
    # At least one refused lease per busy reply (a command may try more than one).
    assert await _lease_waits(world, "refused_wait_timeout") >= refused_before + 2


async def _lease_waits(world: World, outcome: str) -> float:
    """``guildhall_tenant_lease_waits_total{outcome}`` as /metrics renders it now."""
    text = (await world.bot.metrics.render(world.bot.tenancy)).decode()
    prefix = f'guildhall_tenant_lease_waits_total{{outcome="{outcome}"}} '
    return float(next(line for line in text.splitlines() if line.startswith(prefix))[len(prefix) :])


async def test_a_member_over_their_tag_cooldown_is_told_to_wait_and_others_are_not(
    limited: World,
) -> None:
    """Alice's third /tag create in a minute is refused (en, fr) and creates nothing;
    Bob may still create one in the same guild."""
    world, guild = limited, limited.startup[0]
    for name in ("one", "two"):
        assert (await _create(world, guild, ALICE, name)).content == f"Tag **{name}** created."
    refused = await _create(world, guild, ALICE, "three")
    refused_fr = await _create(world, guild, ALICE, "trois", locale="fr")
    assert refused.ephemeral
    assert refused.content is not None
    assert refused.content.startswith("You are doing that too often. Try again in ")
    assert refused_fr.content is not None
    assert refused_fr.content.startswith("Vous faites cela trop souvent. Réessayez dans ")
    assert (await _create(world, guild, BOB, "bobs")).content == "Tag **bobs** created."
    assert await _tag_names(world, guild) == ["bobs", "one", "two"]


async def test_a_guild_over_its_tag_cooldown_refuses_everyone_there_but_not_elsewhere(
    limited: World,
) -> None:
    """After 3 /tag create in guild A within a minute, a fourth member is refused there
    ("used too often in this server") and served in guild B."""
    world, (guild_a, guild_b) = limited, limited.startup
    for user, name in ((ALICE, "a1"), (ALICE, "a2"), (BOB, "b1")):
        assert (await _create(world, guild_a, user, name)).content == f"Tag **{name}** created."
    refused = await _create(world, guild_a, MOD, "m1")
    assert refused.content is not None and refused.ephemeral
    assert refused.content.startswith("This command is used too often in this server right now.")
    assert (await _create(world, guild_b, MOD, "m1")).content == "Tag **m1** created."
    assert await _tag_names(world, guild_a) == ["a1", "a2", "b1"]


async def test_a_moderator_over_the_note_cooldown_is_refused_and_no_note_is_written(
    limited: World,
) -> None:
    """/note add is limited per moderator: the second note within a minute is refused."""
    world, guild = limited, limited.startup[0]
    for expected_notes in (1, 1):
        reply = await world.slash(
            guild,
            MOD,
            "note",
            "add",
            options={"member": ALICE, "content": "spam"},
            permissions=MODERATE_MEMBERS,
        )
        assert await world.rows(guild, lambda: Note.all().count()) == expected_notes
    assert reply.content is not None and reply.ephemeral
    assert reply.content.startswith("You are doing that too often.")


async def test_messages_beyond_the_guilds_xp_budget_are_not_counted(limited: World) -> None:
    """With a budget of 3 messages a minute, 6 messages in A count 3; B counts its own. The 3
    beyond it are dropped as raw gateway events: no Message is built for them, and /metrics
    counts them by reason."""
    world, (guild_a, guild_b) = limited, limited.startup
    ranks = world.bot.get_cog("Ranks")
    parsed: list[int] = []

    async def on_message(message: disnake.Message) -> None:
        parsed.append(message.guild.id if message.guild else 0)

    world.bot.add_listener(on_message)
    for user in (ALICE, BOB, MOD, ALICE, BOB, MOD):
        await world.post(guild_a, user)
    await world.post(guild_b, ALICE)

    async def counted(guild: FakeGuild) -> int:
        members = await world.rows(guild, lambda: Member.all())
        return sum(m.message_count for m in members)

    async def dropped() -> bool:
        return bool(ranks.budget.dropped == 3)

    async def three_counted_in_a() -> bool:
        return await counted(guild_a) == 3

    await eventually(dropped)  # decided as each message arrived: 3 in, 3 out
    await eventually(three_counted_in_a)
    assert await eventually(lambda: counted(guild_b)) == 1
    world.bot.remove_listener(on_message)
    assert sorted(parsed) == sorted([guild_a.id] * 3 + [guild_b.id])
    metrics = (await world.bot.metrics.render(world.bot.tenancy)).decode()
    dropped_line = (
        'guildhall_gateway_events_dropped_total{event="MESSAGE_CREATE",reason="xp_budget"} 3.0'
    )
    assert dropped_line in metrics.splitlines()
