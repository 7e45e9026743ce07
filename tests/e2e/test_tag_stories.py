"""Stories of /tag: a member's tag from creation to deletion, and tags kept per guild."""

from __future__ import annotations

import pytest

from bench.fakediscord import FakeGuild
from tests.e2e.world import ALICE, BOB, World, sql_rows

pytestmark = pytest.mark.e2e


async def test_member_creates_shows_edits_lists_and_deletes_a_tag(
    world: World, guild_a: FakeGuild
) -> None:
    """Alice's /tag create, show, edit, list and delete each answer as she expects."""
    created = await world.slash(
        guild_a, ALICE, "tag", "create", options={"name": "Rules", "content": "Be kind."}
    )
    assert (created.content, created.ephemeral) == ("Tag **Rules** created.", True)

    shown = await world.slash(guild_a, BOB, "tag", "show", options={"name": "rules"})
    assert (shown.content, shown.ephemeral) == ("Be kind.", False)  # posted for everyone

    edited = await world.slash(
        guild_a, ALICE, "tag", "edit", options={"name": "RULES", "content": "Be kinder."}
    )
    assert edited.content == "Tag **Rules** updated."
    await world.slash(guild_a, ALICE, "tag", "create", options={"name": "faq", "content": "?"})
    listed = await world.slash(guild_a, BOB, "tag", "list")
    assert (listed.content, listed.ephemeral) == ("Tags (2): `faq`, `Rules`", True)
    shown = await world.slash(guild_a, BOB, "tag", "show", options={"name": "Rules"})
    assert shown.content == "Be kinder."

    refused = await world.slash(guild_a, BOB, "tag", "delete", options={"name": "Rules"})
    assert refused.content == (
        "Only the author of **Rules** or a member with Manage Messages can change it."
    )
    deleted = await world.slash(guild_a, ALICE, "tag", "delete", options={"name": "Rules"})
    assert deleted.content == "Tag **Rules** deleted."
    gone = await world.slash(guild_a, BOB, "tag", "show", options={"name": "Rules"})
    assert (gone.content, gone.ephemeral) == ("There is no tag called **Rules**.", True)
    rows = await sql_rows(guild_a.id, "tag", "name, content, uses, author_id")
    assert rows == [{"name": "faq", "content": "?", "uses": 0, "author_id": ALICE}]


async def test_guild_a_tag_is_invisible_in_guild_b_and_stored_only_in_a(
    world: World, guild_a: FakeGuild, guild_b: FakeGuild
) -> None:
    """A tag made in guild A is unknown in guild B, and its row is in guild_A's schema only."""
    await world.slash(
        guild_a, ALICE, "tag", "create", options={"name": "secret", "content": "A only"}
    )
    in_b = await world.slash(guild_b, ALICE, "tag", "show", options={"name": "secret"})
    assert in_b.content == "There is no tag called **secret**."
    assert (await world.slash(guild_b, ALICE, "tag", "list")).content == (
        "This server has no tags yet. Create one with /tag create."
    )
    # The same name in B is a new tag there, not a clash with A's.
    made_in_b = await world.slash(
        guild_b, BOB, "tag", "create", options={"name": "secret", "content": "B only"}
    )
    assert made_in_b.content == "Tag **secret** created."
    in_a = await world.slash(guild_a, BOB, "tag", "show", options={"name": "secret"})
    assert in_a.content == "A only"

    columns = "name, content, author_id"
    assert await sql_rows(guild_a.id, "tag", columns) == [
        {"name": "secret", "content": "A only", "author_id": ALICE}
    ]
    assert await sql_rows(guild_b.id, "tag", columns) == [
        {"name": "secret", "content": "B only", "author_id": BOB}
    ]
