"""/note through the real disnake client and a fake Discord, on real PostgreSQL."""

from __future__ import annotations

import pytest

from app.models.tenant import Note
from bench.fakediscord import MODERATE_MEMBERS, FakeDiscordError, FakeGuild
from tests.bot.conftest import ALICE, BOB, MOD, World

pytestmark = pytest.mark.e2e


async def note(world: World, guild: FakeGuild, sub: str, **options: object) -> str:
    reply = await world.slash(
        guild, MOD, "note", sub, options=options, permissions=MODERATE_MEMBERS
    )
    assert reply.ephemeral
    return reply.content or ""


async def all_notes(world: World, guild: FakeGuild) -> list[Note]:
    return await world.rows(guild, lambda: Note.all().order_by("id"))


async def test_note_add_stores_a_note_about_the_member(world: World, guild: FakeGuild) -> None:
    """A moderator's note is stored with its author and target, and the reply is ephemeral."""
    text = await note(world, guild, "add", member=ALICE, content="spammed #general")
    (stored,) = await all_notes(world, guild)
    assert text == f"Note #{stored.id} about <@{ALICE}> saved."
    assert (stored.target_user_id, stored.author_id, stored.content) == (
        ALICE,
        MOD,
        "spammed #general",
    )


async def test_note_commands_are_hidden_from_non_moderators(world: World, guild: FakeGuild) -> None:
    """Discord does not offer /note to members without Moderate Members; nothing is stored."""
    registered = world.fake.command("note")
    assert registered is not None
    assert registered["default_member_permissions"] == str(MODERATE_MEMBERS)
    with pytest.raises(FakeDiscordError, match="default_member_permissions"):
        await world.slash(guild, BOB, "note", "add", options={"member": ALICE, "content": "x"})
    assert await all_notes(world, guild) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("   ", "A note cannot be empty."),
        ("n" * 1001, "Notes are at most 1000 characters; yours has 1001."),
    ],
    ids=["blank", "too-long"],
)
async def test_note_add_refuses_bad_content_and_stores_nothing(
    world: World, guild: FakeGuild, content: str, expected: str
) -> None:
    """Empty or over-long notes get a clear reply and no row."""
    assert await note(world, guild, "add", member=ALICE, content=content) == expected
    assert await all_notes(world, guild) == []


async def test_note_list_shows_a_members_notes_newest_first(world: World, guild: FakeGuild) -> None:
    """/note list shows only that member's notes, newest first, with authors."""
    await note(world, guild, "add", member=ALICE, content="first")
    await note(world, guild, "add", member=BOB, content="about bob")
    await note(world, guild, "add", member=ALICE, content="second")
    reply = await world.slash(
        guild, MOD, "note", "list", options={"member": ALICE}, permissions=MODERATE_MEMBERS
    )
    assert reply.ephemeral
    assert reply.embed is not None
    description = reply.embed["description"]
    assert description.index("second") < description.index("first")
    assert "about bob" not in description
    assert f"by <@{MOD}>" in description
    assert reply.embed["footer"]["text"] == "Notes 1–2 of 2, newest first"


async def test_note_list_for_a_member_without_notes_says_so(world: World, guild: FakeGuild) -> None:
    """Listing the notes of a member nobody wrote about says there are none."""
    assert await note(world, guild, "list", member=BOB) == f"There are no notes about <@{BOB}>."


async def test_note_remove_deletes_only_that_note(world: World, guild: FakeGuild) -> None:
    """/note remove deletes the numbered note; an unknown number is a clear refusal."""
    await note(world, guild, "add", member=ALICE, content="keep")
    await note(world, guild, "add", member=ALICE, content="drop")
    keep, drop = await all_notes(world, guild)
    assert await note(world, guild, "remove", note_id=drop.id) == f"Note #{drop.id} removed."
    assert await note(world, guild, "remove", note_id=drop.id) == (
        f"There is no note #{drop.id} in this server."
    )
    assert [n.content for n in await all_notes(world, guild)] == ["keep"]


async def test_note_remove_cannot_reach_another_guilds_note(world: World) -> None:
    """Note ids are per guild: removing #1 in one guild leaves the other guild's #1."""
    first, second = await world.new_guild(), await world.new_guild()
    await note(world, first, "add", member=ALICE, content="first guild")
    await note(world, second, "add", member=ALICE, content="second guild")
    (other,) = await all_notes(world, second)
    await note(world, first, "remove", note_id=other.id)
    assert [n.content for n in await all_notes(world, second)] == ["second guild"]
