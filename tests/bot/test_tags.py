"""/tag through the real disnake client and a fake Discord, on real PostgreSQL."""

from __future__ import annotations

import pytest

from app.models.tenant import Tag
from bench.fakediscord import MANAGE_MESSAGES, FakeGuild
from tests.bot.conftest import ALICE, BOB, World

pytestmark = pytest.mark.e2e


async def create(world: World, guild: FakeGuild, user: int, name: str, content: str) -> str:
    reply = await world.slash(
        guild, user, "tag", "create", options={"name": name, "content": content}
    )
    assert reply.ephemeral
    return reply.content or ""


async def all_tags(world: World, guild: FakeGuild) -> list[Tag]:
    return await world.rows(guild, lambda: Tag.all().order_by("name_key"))


async def test_tag_create_then_show_posts_content_and_counts_use(
    world: World, guild: FakeGuild
) -> None:
    """A created tag is shown publicly, found in any case, and each show adds one use."""
    assert await create(world, guild, ALICE, "Rules", "Be kind.") == "Tag **Rules** created."
    shown = await world.slash(guild, BOB, "tag", "show", options={"name": "rules"})
    assert shown.content == "Be kind."
    assert not shown.ephemeral
    await world.slash(guild, BOB, "tag", "show", options={"name": "RULES"})
    tag = await world.rows(guild, lambda: Tag.get(name_key="rules"))
    assert (tag.name, tag.author_id, tag.uses) == ("Rules", ALICE, 2)


async def test_tag_create_refuses_a_name_taken_in_another_case(
    world: World, guild: FakeGuild
) -> None:
    """Names are unique case-insensitively: the second create is refused, the first kept."""
    await create(world, guild, ALICE, "FAQ", "first")
    text = await create(world, guild, BOB, "faq", "second")
    assert text == "There is already a tag called **faq** (names ignore case)."
    tags = await all_tags(world, guild)
    assert [(t.name, t.content) for t in tags] == [("FAQ", "first")]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("x" * 65, "ok", "Tag names are at most 64 characters; this one has 65."),
        ("bad\x07name", "ok", "Tag names cannot contain control characters or line breaks."),
        ("tab\tname", "ok", "Tag names cannot contain control characters or line breaks."),
        ("   ", "ok", "A tag needs a name."),
        ("fine", "   ", "A tag needs some content."),
        ("fine", "y" * 2001, "Tag content is at most 2000 characters; yours has 2001."),
    ],
    ids=["name-too-long", "name-bell", "name-tab", "name-blank", "content-blank", "content-long"],
)
async def test_tag_create_refuses_bad_input_and_stores_nothing(
    world: World, guild: FakeGuild, name: str, content: str, expected: str
) -> None:
    """Bad names and contents get a clear ephemeral reply and no row."""
    assert await create(world, guild, ALICE, name, content) == expected
    assert await all_tags(world, guild) == []


async def test_tag_create_accepts_limits_exactly(world: World, guild: FakeGuild) -> None:
    """A 64-character name and 2000-character content are allowed; spaces around are dropped."""
    name = "n" * 64
    assert (
        await create(world, guild, ALICE, f"  {name}  ", "c" * 2000) == f"Tag **{name}** created."
    )
    (tag,) = await all_tags(world, guild)
    assert (tag.name, len(tag.content)) == (name, 2000)


async def test_tag_show_unknown_name_says_so(world: World, guild: FakeGuild) -> None:
    """Showing a tag that does not exist is a clear ephemeral refusal."""
    reply = await world.slash(guild, ALICE, "tag", "show", options={"name": "nope"})
    assert reply.content == "There is no tag called **nope**."
    assert reply.ephemeral


async def test_tag_reply_escapes_markdown_in_names(world: World, guild: FakeGuild) -> None:
    """A name with formatting characters cannot restyle the reply around it."""
    text = await create(world, guild, ALICE, "*bold*", "x")
    assert text == "Tag **\\*bold\\*** created."


async def test_tag_edit_by_author_changes_content(world: World, guild: FakeGuild) -> None:
    """The author may edit their tag."""
    await create(world, guild, ALICE, "greet", "hello")
    reply = await world.slash(
        guild, ALICE, "tag", "edit", options={"name": "GREET", "content": "bonjour"}
    )
    assert reply.content == "Tag **greet** updated."
    assert [t.content for t in await all_tags(world, guild)] == ["bonjour"]


async def test_tag_edit_of_someone_elses_tag_is_refused(world: World, guild: FakeGuild) -> None:
    """Another member without Manage Messages cannot edit, and the content stays."""
    await create(world, guild, ALICE, "greet", "hello")
    reply = await world.slash(
        guild, BOB, "tag", "edit", options={"name": "greet", "content": "defaced"}
    )
    assert reply.content == (
        "Only the author of **greet** or a member with Manage Messages can change it."
    )
    assert reply.ephemeral
    assert [t.content for t in await all_tags(world, guild)] == ["hello"]


async def test_tag_edit_with_manage_messages_is_allowed(world: World, guild: FakeGuild) -> None:
    """A member with Manage Messages may edit anyone's tag."""
    await create(world, guild, ALICE, "greet", "hello")
    reply = await world.slash(
        guild,
        BOB,
        "tag",
        "edit",
        options={"name": "greet", "content": "moderated"},
        permissions=MANAGE_MESSAGES,
    )
    assert reply.content == "Tag **greet** updated."
    assert [t.content for t in await all_tags(world, guild)] == ["moderated"]


async def test_tag_edit_refuses_bad_content_and_unknown_tag(world: World, guild: FakeGuild) -> None:
    """Editing checks the content and the name like create does; nothing changes."""
    await create(world, guild, ALICE, "greet", "hello")
    too_long = await world.slash(
        guild, ALICE, "tag", "edit", options={"name": "greet", "content": "z" * 2001}
    )
    assert too_long.content == "Tag content is at most 2000 characters; yours has 2001."
    unknown = await world.slash(
        guild, ALICE, "tag", "edit", options={"name": "other", "content": "x"}
    )
    assert unknown.content == "There is no tag called **other**."
    assert [t.content for t in await all_tags(world, guild)] == ["hello"]


async def test_tag_delete_of_someone_elses_tag_is_refused(world: World, guild: FakeGuild) -> None:
    """Another member cannot delete a tag; its author and moderators can."""
    await create(world, guild, ALICE, "one", "1")
    await create(world, guild, ALICE, "two", "2")
    refused = await world.slash(guild, BOB, "tag", "delete", options={"name": "one"})
    assert refused.content == (
        "Only the author of **one** or a member with Manage Messages can change it."
    )
    by_author = await world.slash(guild, ALICE, "tag", "delete", options={"name": "ONE"})
    assert by_author.content == "Tag **one** deleted."
    by_mod = await world.slash(
        guild, BOB, "tag", "delete", options={"name": "two"}, permissions=MANAGE_MESSAGES
    )
    assert by_mod.content == "Tag **two** deleted."
    assert await all_tags(world, guild) == []


async def test_tag_delete_unknown_tag_says_so(world: World, guild: FakeGuild) -> None:
    """Deleting a tag that does not exist is a clear refusal."""
    reply = await world.slash(guild, ALICE, "tag", "delete", options={"name": "ghost"})
    assert reply.content == "There is no tag called **ghost**."


async def test_tag_list_names_tags_alphabetically(world: World, guild: FakeGuild) -> None:
    """/tag list is ephemeral, says when there are none, then lists every name in order."""
    empty = await world.slash(guild, ALICE, "tag", "list")
    assert empty.content == "This server has no tags yet. Create one with /tag create."
    for name in ("beta", "Alpha", "gamma"):
        await create(world, guild, ALICE, name, "x")
    listed = await world.slash(guild, ALICE, "tag", "list")
    assert listed.content == "Tags (3): `Alpha`, `beta`, `gamma`"
    assert listed.ephemeral


async def test_tag_list_stays_within_a_message(world: World, guild: FakeGuild) -> None:
    """Many long names fit one Discord message a page at a time (20 names a page)."""
    for i in range(30):
        await create(world, guild, ALICE, f"{i:02d}" + "n" * 62, "x")
    listed = await world.slash(guild, ALICE, "tag", "list")
    assert listed.content is not None
    assert len(listed.content) <= 2000
    assert listed.content.startswith("Tags (30): `00nnn")
    assert listed.content.count("`") == 40
    assert listed.components


async def test_tag_autocomplete_offers_this_guilds_matching_names(world: World) -> None:
    """Autocomplete matches the typed prefix in any case, and never another guild's tags."""
    first, second = await world.new_guild(), await world.new_guild()
    for name in ("Apple", "apricot", "banana"):
        await create(world, first, ALICE, name, "x")
    await create(world, second, ALICE, "avocado", "x")
    choices = await world.fake.autocomplete(
        first.id, BOB, "tag", subcommand="show", options={"name": "AP"}
    )
    assert [c["value"] for c in choices] == ["Apple", "apricot"]
    everything = await world.fake.autocomplete(
        first.id, BOB, "tag", subcommand="delete", options={"name": ""}
    )
    assert [c["value"] for c in everything] == ["Apple", "apricot", "banana"]


async def test_tags_of_two_guilds_never_mix(world: World) -> None:
    """The same name in two guilds is two tags; each guild sees its own."""
    first, second = await world.new_guild(), await world.new_guild()
    await create(world, first, ALICE, "rules", "first rules")
    await create(world, second, ALICE, "rules", "second rules")
    one = await world.slash(first, BOB, "tag", "show", options={"name": "rules"})
    two = await world.slash(second, BOB, "tag", "show", options={"name": "rules"})
    assert (one.content, two.content) == ("first rules", "second rules")


async def test_tag_replies_in_french_for_french_users(world: World, guild: FakeGuild) -> None:
    """Replies follow the caller's locale: French for fr, English otherwise."""
    created = await world.slash(
        guild, ALICE, "tag", "create", options={"name": "règles", "content": "x"}, locale="fr"
    )
    assert created.content == "Tag **règles** créé."
    missing = await world.slash(
        guild, ALICE, "tag", "show", options={"name": "absent"}, locale="fr"
    )
    assert missing.content == "Aucun tag ne s'appelle **absent**."
    german = await world.slash(guild, ALICE, "tag", "show", options={"name": "absent"}, locale="de")
    assert german.content == "There is no tag called **absent**."
