"""/note edit, the paged /note list and the "Add note" context menu with its modal, through
the real client and the fake Discord."""

from __future__ import annotations

import pytest

from app.models.tenant import Note
from bench.fakediscord import MODERATE_MEMBERS, FakeDiscordError, FakeGuild
from bench.fakediscord.context_menu import user_command
from bench.fakediscord.roles import create_role
from tests.bot.conftest import ALICE, BOB, MOD, World

pytestmark = pytest.mark.e2e


async def note(world: World, guild: FakeGuild, sub: str, locale: str = "en-US", **options):
    """Run ``/note sub`` as a moderator."""
    return await world.slash(
        guild, MOD, "note", sub, options=dict(options), permissions=MODERATE_MEMBERS,
        locale=locale,
    )  # fmt: skip


@pytest.fixture
async def moderated(world: World, guild: FakeGuild) -> FakeGuild:
    """The guild, where MOD holds a role with Moderate Members (a modal carries the
    submitter's own permissions)."""
    role = await create_role(world.fake, guild.id, "Moderators", permissions=MODERATE_MEMBERS)
    world.fake.add_member(guild.id, MOD, roles=[role.id])
    return guild


def button(reply, label: str) -> dict:
    """The button labelled ``label`` under a reply."""
    return next(b for row in reply.components for b in row["components"] if b["label"] == label)


async def test_note_edit_replaces_the_text_and_marks_it_edited(
    world: World, guild: FakeGuild
) -> None:
    """/note edit changes the content, keeps the author, and the list shows it was edited."""
    added = await note(world, guild, "add", member=ALICE, content="first")
    note_id = int(added.content.split("#")[1].split()[0])
    edited = await note(world, guild, "edit", note_id=note_id, content="  second  ")
    assert edited.content == f"Note #{note_id} updated."
    assert edited.ephemeral
    row = await world.rows(guild, lambda: Note.get(id=note_id))
    assert (row.content, row.author_id) == ("second", MOD)
    assert row.edited_at is not None
    listed = await note(world, guild, "list", member=ALICE)
    assert listed.embed is not None
    assert " · edited <t:" in listed.embed["description"]
    assert listed.embed["description"].endswith("> second")


async def test_note_edit_bad_input_says_what_to_fix(world: World, guild: FakeGuild) -> None:
    """Editing a missing note, or with empty or too long text, answers one line each."""
    missing = await note(world, guild, "edit", note_id=999_999, content="x")
    assert missing.content == "There is no note #999999 in this server."
    added = await note(world, guild, "add", member=ALICE, content="keep")
    note_id = int(added.content.split("#")[1].split()[0])
    empty = await note(world, guild, "edit", note_id=note_id, content="   ")
    assert empty.content == "A note cannot be empty."
    long = await note(world, guild, "edit", note_id=note_id, content="x" * 1001)
    assert long.content == "Notes are at most 1000 characters; yours has 1001."
    assert (await world.rows(guild, lambda: Note.get(id=note_id))).content == "keep"


async def test_note_list_pages_four_notes_at_a_time(world: World, guild: FakeGuild) -> None:
    """Nine notes: four a page, newest first; ▶ and ◀ move in place; the footer counts."""
    for i in range(9):
        await note(world, guild, "add", member=ALICE, content=f"note {i}")
    first = await note(world, guild, "list", member=ALICE)
    assert first.embed is not None
    assert first.embed["footer"]["text"] == "Notes 1–4 of 9, newest first"
    assert first.embed["description"].endswith("> note 5")
    assert button(first, "page 1/3")["disabled"] and button(first, "◀")["disabled"]
    second = await world.fake.click(
        guild.id, MOD, first.message, button(first, "▶")["custom_id"], wait_for_result=True
    )
    assert second.embed is not None
    assert second.embed["title"] == first.embed["title"]
    assert second.embed["footer"]["text"] == "Notes 5–8 of 9, newest first"
    assert "> note 4" in second.embed["description"]
    third = await world.fake.click(
        guild.id, MOD, first.message, button(second, "▶")["custom_id"], wait_for_result=True
    )
    assert third.embed is not None
    assert third.embed["footer"]["text"] == "Notes 9–9 of 9, newest first"
    assert button(third, "▶")["disabled"]


async def test_long_notes_are_cut_to_fit_a_page(world: World, guild: FakeGuild) -> None:
    """Four notes of 1000 characters fit one embed: each is cut with an ellipsis."""
    for _ in range(4):
        await note(world, guild, "add", member=BOB, content="y" * 1000)
    listed = await note(world, guild, "list", member=BOB)
    assert listed.embed is not None
    assert len(listed.embed["description"]) <= 4096
    assert listed.embed["description"].count("…") == 4


async def test_add_note_context_menu_opens_a_modal_and_saves_the_note(
    world: World, moderated: FakeGuild
) -> None:
    """Right-click → Apps → "Add note" opens a modal; submitting it saves the note."""
    opened = await user_command(
        world.fake, moderated.id, MOD, "Add note", ALICE, permissions=MODERATE_MEMBERS
    )
    assert opened.modal is not None
    custom_id = opened.modal["custom_id"]
    assert custom_id == f"gh:note-add:{ALICE}"
    saved = await world.fake.submit_modal(
        moderated.id, MOD, custom_id, {"content": "from the menu"}
    )
    assert saved.content is not None
    assert saved.content.startswith("Note #") and saved.content.endswith(f"about <@{ALICE}> saved.")
    assert saved.ephemeral
    rows = await world.rows(moderated, lambda: Note.filter(target_user_id=ALICE))
    assert [(n.content, n.author_id) for n in rows] == [("from the menu", MOD)]


async def test_add_note_menu_is_localized_and_refuses_bad_input(
    world: World, moderated: FakeGuild
) -> None:
    """The menu is named in French for Discord; an empty note is refused; a member without
    Moderate Members never sees the menu."""
    command = next(
        c
        for c in world.fake.registered_commands[None]
        if c["type"] == 2 and c["name"] == "Add note"
    )
    assert command["name_localizations"] == {"fr": "Ajouter une note"}
    await user_command(world.fake, moderated.id, MOD, "Add note", BOB, permissions=MODERATE_MEMBERS)
    empty = await world.fake.submit_modal(
        moderated.id, MOD, f"gh:note-add:{BOB}", {"content": "  "}
    )
    assert empty.content == "A note cannot be empty."
    assert empty.ephemeral
    with pytest.raises(FakeDiscordError, match="default_member_permissions"):
        await user_command(world.fake, moderated.id, ALICE, "Add note", BOB)


async def test_add_note_modal_from_a_non_moderator_is_refused(
    world: World, guild: FakeGuild
) -> None:
    """A modal submission by someone without Moderate Members saves nothing."""
    refused = await world.fake.submit_modal(guild.id, ALICE, f"gh:note-add:{BOB}", {"content": "x"})
    assert refused.content == "Only members with Moderate Members can write notes."
    assert await world.rows(guild, lambda: Note.filter(target_user_id=BOB)) == []


async def test_add_note_in_a_disabled_guild_says_so(world: World, moderated: FakeGuild) -> None:
    """A modal submitted while the guild is disabled gets the disabled reply, nothing saved."""
    await user_command(world.fake, moderated.id, MOD, "Add note", BOB, permissions=MODERATE_MEMBERS)
    await world.tenancy.disable(moderated.id, reason="maintenance")
    refused = await world.fake.submit_modal(
        moderated.id, MOD, f"gh:note-add:{BOB}", {"content": "x"}
    )
    assert refused.content == (
        "Guildhall is disabled in this server (reason: maintenance). "
        "Nothing was changed, and your data is kept."
    )
    await world.tenancy.enable(moderated.id)
    assert await world.rows(moderated, lambda: Note.filter(target_user_id=BOB)) == []


async def test_paging_after_every_note_was_removed_says_none(
    world: World, guild: FakeGuild
) -> None:
    """A page button pressed after the member's notes were all removed says there are none."""
    for i in range(5):
        await note(world, guild, "add", member=BOB, content=f"n{i}")
    listed = await note(world, guild, "list", member=BOB)
    await world.rows(guild, lambda: Note.filter(target_user_id=BOB).delete())
    after = await world.fake.click(
        guild.id, MOD, listed.message, button(listed, "▶")["custom_id"], wait_for_result=True
    )
    assert after.content == f"There are no notes about <@{BOB}>."
    assert after.embeds == [] and after.components == []


async def test_note_edit_and_menu_speak_french(world: World, moderated: FakeGuild) -> None:
    """A French moderator reads /note edit's reply and the modal in French."""
    added = await note(world, moderated, "add", member=ALICE, content="x")
    note_id = int(added.content.split("#")[1].split()[0])
    edited = await note(world, moderated, "edit", locale="fr", note_id=note_id, content="y")
    assert edited.content == f"Note n° {note_id} modifiée."
    opened = await user_command(
        world.fake, moderated.id, MOD, "Add note", ALICE, locale="fr",
        permissions=MODERATE_MEMBERS,
    )  # fmt: skip
    assert opened.modal is not None
    assert opened.modal["title"].startswith("Note sur ")
