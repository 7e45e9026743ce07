"""Stories of members: XP from chatting shown by /rank, /privacy forget-me, French replies."""

from __future__ import annotations

import re

import pytest

from app.models.tenant import Member
from bench.fakediscord import MANAGE_GUILD, FakeGuild
from tests.e2e.world import ALICE, BOB, World, eventually, sql_rows

pytestmark = pytest.mark.e2e

#: XP per counted message is 15 to 25; at most one message a minute counts for XP.
RANK_AFTER_FIRST_MESSAGES = re.compile(
    r"<@(\d+)> is level \*\*0\*\* with \*\*(1[5-9]|2[0-5])\*\* XP "
    r"\((1[5-9]|2[0-5])/100 towards the next level\), rank \*\*#(\d)\*\*, (\d+) messages counted\."
)


async def messages_counted(world: World, guild: FakeGuild, user_id: int, count: int) -> bool:
    """Whether the bot has counted ``count`` messages of ``user_id`` in ``guild``."""
    member = await world.rows(guild, lambda: Member.get_or_none(user_id=user_id))
    return member is not None and member.message_count == count


async def test_chatting_earns_xp_that_rank_shows(
    world: World, guild_a: FakeGuild, guild_b: FakeGuild
) -> None:
    """Alice's three messages in A earn XP once (cooldown) and /rank shows it; B counts none."""
    for text in ("hi", "how are you?", "bye"):
        await world.post(guild_a, ALICE, text)
    await eventually(lambda: messages_counted(world, guild_a, ALICE, 3))

    mine = await world.slash(guild_a, ALICE, "rank")
    match = RANK_AFTER_FIRST_MESSAGES.fullmatch(mine.content or "")
    assert match, mine.content
    assert match[1] == str(ALICE)
    assert match[2] == match[3]  # all XP is within level 0
    assert (match[4], match[5]) == ("1", "3")
    assert not mine.ephemeral

    bobs = await world.slash(guild_a, ALICE, "rank", options={"member": BOB})
    assert bobs.content == f"<@{BOB}> has not earned any XP here yet."
    assert await sql_rows(guild_b.id, "member") == []
    in_b = await world.slash(guild_b, ALICE, "rank")
    assert in_b.content == f"<@{ALICE}> has not earned any XP here yet."


async def test_forget_me_deletes_the_members_data_in_this_guild_only(
    world: World, guild_a: FakeGuild, guild_b: FakeGuild
) -> None:
    """Alice's /privacy forget-me in A deletes her XP, unsigns her tag there; B keeps her XP."""
    await world.post(guild_a, ALICE)
    await world.post(guild_b, ALICE)
    await eventually(lambda: messages_counted(world, guild_a, ALICE, 1))
    await eventually(lambda: messages_counted(world, guild_b, ALICE, 1))
    await world.slash(guild_a, ALICE, "tag", "create", options={"name": "hello", "content": "hi"})

    asked = await world.slash(guild_a, ALICE, "privacy", "forget-me")
    assert asked.ephemeral and asked.message is not None
    forgotten = await world.fake.click(
        guild_a.id, ALICE, asked.message, f"privacy:forget-me:confirm:{ALICE}"
    )
    assert (forgotten.content or "").startswith("Done: your data in this server is gone (2 rows).")
    assert await sql_rows(guild_a.id, "member") == []
    [tag] = await sql_rows(guild_a.id, "tag", "name, author_id")
    assert tag["name"] == "hello"
    assert tag["author_id"] != ALICE
    assert [row["user_id"] for row in await sql_rows(guild_b.id, "member", "user_id")] == [ALICE]
    rank = await world.slash(guild_a, ALICE, "rank")
    assert rank.content == f"<@{ALICE}> has not earned any XP here yet."
    shown = await world.slash(guild_a, BOB, "tag", "show", options={"name": "hello"})
    assert shown.content == "hi"


async def test_french_speaking_member_gets_french_replies(world: World, guild_a: FakeGuild) -> None:
    """A member whose Discord is in French reads every reply in French; an English one, English."""
    created = await world.slash(
        guild_a, ALICE, "tag", "create", options={"name": "règles", "content": "Soyez"}, locale="fr"
    )
    assert created.content == "Tag **règles** créé."
    missing = await world.slash(
        guild_a, ALICE, "tag", "show", options={"name": "absent"}, locale="fr"
    )
    assert missing.content == "Aucun tag ne s'appelle **absent**."
    taken = await world.slash(
        guild_a, ALICE, "tag", "create", options={"name": "RÈGLES", "content": "x"}, locale="fr"
    )
    assert taken.content == "Il existe déjà un tag nommé **RÈGLES** (les noms ignorent la casse)."
    not_owner = await world.slash(
        guild_a, ALICE, "tenant", "status", locale="fr", permissions=MANAGE_GUILD
    )
    assert not_owner.content == "Seuls les propriétaires du bot peuvent utiliser cette commande."
    english = await world.slash(guild_a, BOB, "tag", "show", options={"name": "absent"})
    assert english.content == "There is no tag called **absent**."
