"""/tag alias, info, search and the paged /tag list, through the real client and the fake
Discord."""

from __future__ import annotations

import pytest

from app.models.privacy import GHOST_USER_ID
from app.models.tenant import TagAlias
from bench.fakediscord import MANAGE_GUILD, FakeGuild
from bench.fakediscord.roles import create_role
from tests.bot.conftest import ALICE, BOB, MOD, World
from tests.bot.test_privacy import forget_me

pytestmark = pytest.mark.e2e


async def tag(world: World, guild: FakeGuild, sub: str, user: int = ALICE, **options: object):
    """Run ``/tag sub`` as ``user``."""
    return await world.slash(guild, user, "tag", sub, options=dict(options))


def button(reply, label: str) -> dict:
    """The button labelled ``label`` under a reply."""
    return next(b for row in reply.components for b in row["components"] if b["label"] == label)


async def test_an_alias_shows_edits_and_deletes_its_tag(world: World, guild: FakeGuild) -> None:
    """An alias shows the tag (counting a use), names it for edit, and goes when the tag goes."""
    await tag(world, guild, "create", name="Rules", content="Be kind.")
    aliased = await tag(world, guild, "alias", name="rules", alias="R")
    assert aliased.content == "**R** now shows the tag **Rules**."
    assert aliased.ephemeral
    shown = await tag(world, guild, "show", BOB, name="r")
    assert shown.content == "Be kind."
    edited = await tag(world, guild, "edit", name="r", content="Be very kind.")
    assert edited.content == "Tag **Rules** updated."
    assert (await tag(world, guild, "show", BOB, name="R")).content == "Be very kind."
    await tag(world, guild, "delete", name="rules")
    gone = await tag(world, guild, "show", BOB, name="r")
    assert gone.content == "There is no tag called **r**."
    assert await world.rows(guild, TagAlias.all) == []


async def test_alias_names_share_the_tag_namespace(world: World, guild: FakeGuild) -> None:
    """An alias cannot take a tag's or another alias's name, nor a tag an alias's; an alias
    of a missing tag says so."""
    await tag(world, guild, "create", name="Rules", content="x")
    await tag(world, guild, "create", name="FAQ", content="y")
    taken = await tag(world, guild, "alias", name="rules", alias="faq")
    assert taken.content == "The name **faq** is already a tag or an alias (names ignore case)."
    await tag(world, guild, "alias", name="rules", alias="r")
    again = await tag(world, guild, "alias", name="faq", alias="R")
    assert again.content == "The name **R** is already a tag or an alias (names ignore case)."
    clash = await tag(world, guild, "create", name="r", content="z")
    assert clash.content == "There is already a tag called **r** (names ignore case)."
    missing = await tag(world, guild, "alias", name="nope", alias="n")
    assert missing.content == "There is no tag called **nope**."
    bad = await tag(world, guild, "alias", name="rules", alias="a\nb")
    assert bad.content == "Tag names cannot contain control characters or line breaks."


async def test_tag_info_shows_author_uses_date_and_aliases(world: World, guild: FakeGuild) -> None:
    """/tag info (by name or alias) shows who wrote it, its uses, its date and its aliases."""
    await tag(world, guild, "create", name="Rules", content="x")
    await tag(world, guild, "show", BOB, name="rules")
    await tag(world, guild, "alias", name="rules", alias="r")
    await tag(world, guild, "alias", name="rules", alias="law")
    info = await tag(world, guild, "info", BOB, name="R")
    assert info.ephemeral and info.embed is not None
    assert info.embed["title"] == "Rules"
    fields = {f["name"]: f["value"] for f in info.embed["fields"]}
    assert fields["Author"] == f"<@{ALICE}>"
    assert fields["Uses"] == "1"
    assert fields["Created"].startswith("<t:") and fields["Created"].endswith(":D>")
    assert fields["Aliases"] == "`law`, `r`"
    french = await world.slash(guild, BOB, "tag", "info", options={"name": "rules"}, locale="fr")
    assert french.embed is not None
    assert [f["name"] for f in french.embed["fields"]] == [
        "Auteur",
        "Utilisations",
        "Créé",
        "Alias",
    ]


async def test_tag_info_of_a_missing_tag_says_so(world: World, guild: FakeGuild) -> None:
    """/tag info for a name that is neither a tag nor an alias answers one line."""
    missing = await tag(world, guild, "info", name="nope")
    assert missing.content == "There is no tag called **nope**."
    assert missing.ephemeral


async def test_forget_me_anonymizes_the_aliases_one_made(world: World, guild: FakeGuild) -> None:
    """/privacy forget-me keeps the aliases a member made, with "deleted user" as author."""
    await tag(world, guild, "create", name="Rules", content="x", user=BOB)
    await tag(world, guild, "alias", name="rules", alias="r")
    await forget_me(world, guild, ALICE)  # asks, then the confirm button
    alias = await world.rows(guild, lambda: TagAlias.get(name_key="r"))
    assert alias.author_id == GHOST_USER_ID


async def test_tag_search_matches_names_aliases_and_content(world: World, guild: FakeGuild) -> None:
    """/tag search finds a word in names, aliases or content, in any case; or says none."""
    await tag(world, guild, "create", name="Rules", content="Be kind.")
    await tag(world, guild, "create", name="FAQ", content="Read the RULES first.")
    await tag(world, guild, "create", name="Links", content="https://example.org")
    await tag(world, guild, "alias", name="links", alias="urls")
    found = await tag(world, guild, "search", BOB, query="rules")
    assert found.content == "Tags matching **rules** (2): `FAQ`, `Rules`"
    assert found.ephemeral
    by_alias = await tag(world, guild, "search", BOB, query="URL")
    assert by_alias.content == "Tags matching **URL** (1): `Links`"
    none = await tag(world, guild, "search", BOB, query="zebra")
    assert none.content == "No tag matches **zebra**."
    blank = await tag(world, guild, "search", BOB, query="   ")
    assert blank.content == "Type some words to search for."


async def test_tag_search_says_how_many_more_matched(world: World, guild: FakeGuild) -> None:
    """More than 25 matches: the first 25 and how many more."""
    for i in range(27):
        await tag(world, guild, "create", name=f"t{i:02d}", content="same")
    found = await tag(world, guild, "search", BOB, query="same")
    assert found.content is not None
    assert found.content.startswith("Tags matching **same** (27): `t00`, `t01`")
    assert found.content.endswith("…and 2 more; narrow the search.")


async def test_tag_list_pages_with_buttons(world: World, guild: FakeGuild) -> None:
    """45 tags: 20 a page, ▶ and ◀ move in place, the ends are disabled."""
    for i in range(45):
        await tag(world, guild, "create", name=f"n{i:02d}", content="x")
    first = await tag(world, guild, "list")
    assert first.content is not None
    assert first.content.startswith("Tags (45): `n00`") and first.content.endswith("`n19`")
    assert button(first, "◀")["disabled"] and button(first, "page 1/3")["disabled"]
    second = await world.fake.click(
        guild.id, ALICE, first.message, button(first, "▶")["custom_id"], wait_for_result=True
    )
    assert second.content is not None and second.content.startswith("Tags (45): `n20`")
    third = await world.fake.click(
        guild.id, ALICE, first.message, button(second, "▶")["custom_id"], wait_for_result=True
    )
    assert third.content == "Tags (45): " + ", ".join(f"`n{i}`" for i in range(40, 45))
    assert button(third, "▶")["disabled"]
    back = await world.fake.click(
        guild.id, ALICE, first.message, button(third, "◀")["custom_id"], wait_for_result=True
    )
    assert back.content == second.content


async def test_alias_needs_the_tag_creator_role(world: World, guild: FakeGuild) -> None:
    """With a tag-creator role set, a member without it cannot add aliases either."""
    await tag(world, guild, "create", name="Rules", content="x")
    role = await create_role(world.fake, guild.id, "Taggers")
    await world.slash(
        guild, MOD, "config", "tag-role", options={"role": role.id}, permissions=MANAGE_GUILD
    )
    refused = await tag(world, guild, "alias", name="rules", alias="r")
    assert refused.content == (
        f"Only members with <@&{role.id}> can create tags here; ask a moderator."
    )
