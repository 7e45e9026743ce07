"""/privacy export through the real client and the fake Discord: the caller's rows of this
guild, as a JSON file only they see."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.models.shared import User
from app.models.tenant import Member, Note, Tag, TagAlias
from bench.fakediscord import FakeGuild
from tests.bot.conftest import ALICE, BOB, World

pytestmark = pytest.mark.e2e

#: A user of this module only: the opt-out it records is shared by every guild and test.
CAROL = 600_000_000_000_000_416
CALLBACK = "POST /interactions/{interaction_id}/{token}/callback"


def attached_json(world: World, reply: Any) -> tuple[str, dict[str, Any]]:
    """The file the bot attached to its answer: (file name, parsed JSON)."""
    token = reply.interaction.token
    request = next(r for r in world.fake.requests_for(CALLBACK) if token in r.path)
    (upload,) = request.files
    return upload["filename"], json.loads(upload["content"])


async def test_export_holds_the_callers_rows_of_this_guild_only(
    world: World, guild: FakeGuild
) -> None:
    """XP, notes about the caller, tags, aliases and notes the caller wrote: nothing of
    anyone else's and nothing of another guild; ephemeral, ids as text."""
    other = await world.new_guild("Other")

    async def seed() -> None:
        await Member.create(user_id=CAROL, xp=120, message_count=7)
        await Member.create(user_id=BOB, xp=50)
        tag = await Tag.create(name="Mine", name_key="mine", content="x", author_id=CAROL)
        await Tag.create(name="Bobs", name_key="bobs", content="y", author_id=BOB)
        await TagAlias.create(name="m", name_key="m", tag_id=tag.id, author_id=CAROL)
        await Note.create(target_user_id=CAROL, author_id=BOB, content="about carol")
        await Note.create(target_user_id=BOB, author_id=CAROL, content="by carol")
        await Note.create(target_user_id=BOB, author_id=BOB, content="not hers")

    await world.rows(guild, seed)
    await world.rows(other, lambda: Member.create(user_id=CAROL, xp=999))
    await User.create(user_id=CAROL, tracking_opt_out=True)
    reply = await world.slash(guild, CAROL, "privacy", "export")
    assert reply.ephemeral
    assert reply.content == (
        "Your data in this server: 5 rows, attached as JSON. Only you can see this message."
    )
    name, document = attached_json(world, reply)
    assert name == f"guildhall-{guild.id}-{CAROL}.json"
    assert document["format"] == "guildhall-user-data" and document["version"] == 1
    assert (document["guild_id"], document["user_id"]) == (str(guild.id), str(CAROL))
    assert document["xp_tracking_opted_out"] is True
    tables = document["tables"]
    assert [(m["user_id"], m["xp"]) for m in tables["member"]] == [(str(CAROL), 120)]
    assert [t["name"] for t in tables["tag"]] == ["Mine"]
    assert [a["name"] for a in tables["tag_alias"]] == ["m"]
    assert sorted(n["content"] for n in tables["note"]) == ["about carol", "by carol"]
    assert tables["member"][0]["last_xp_at"] is None
    assert "T" in tables["tag"][0]["created_at"]  # ISO 8601


async def test_export_with_no_data_says_zero_rows(world: World, guild: FakeGuild) -> None:
    """A member without data gets an empty export, in their language."""
    reply = await world.slash(guild, BOB, "privacy", "export", locale="fr")
    assert reply.content == (
        "Vos données sur ce serveur : 0 lignes, jointes en JSON. Vous seul voyez ce message."
    )
    _, document = attached_json(world, reply)
    assert document["tables"] == {} and document["xp_tracking_opted_out"] is False


async def test_export_in_a_disabled_guild_is_refused(world: World, guild: FakeGuild) -> None:
    """Like every tenant command, export answers that the guild is disabled."""
    await world.tenancy.disable(guild.id)
    reply = await world.slash(guild, ALICE, "privacy", "export")
    await world.tenancy.enable(guild.id)
    assert reply.content == (
        "Guildhall is disabled in this server. Nothing was changed, and your data is kept."
    )
    assert reply.ephemeral
