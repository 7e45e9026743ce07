"""/privacy through the real disnake client and a fake Discord, on real PostgreSQL."""

from __future__ import annotations

import pytest

from app.models.privacy import GHOST_USER_ID
from app.models.shared import User
from app.models.tenant import Member, Note, Tag
from bench.fakediscord import FakeGuild, Reply
from tests.bot.conftest import ALICE, BOB, MOD, World, eventually

pytestmark = pytest.mark.e2e

FORGOTTEN = (
    "Done: your data in this server is gone ({rows}). Your XP, your message count and "
    "the notes moderators wrote about you were deleted. Tags and notes you wrote stay, but now "
    'show "deleted user" as their author. New messages earn XP again unless you use '
    "/privacy opt-out."
)


CONFIRM = (
    "This deletes your XP, your message count and the notes moderators wrote about you in this "
    'server, for good. Tags and notes you wrote stay, with "deleted user" as their author. '
    "Delete your data?"
)


async def forget_me(world: World, guild: FakeGuild, user: int, button: str = "confirm") -> Reply:
    """/privacy forget-me, then a press on the confirmation's ``confirm`` or ``cancel`` button."""
    asked = await world.slash(guild, user, "privacy", "forget-me")
    assert (asked.content, asked.ephemeral) == (CONFIRM, True)
    assert asked.message is not None
    return await world.fake.click(
        guild.id, user, asked.message, f"privacy:forget-me:{button}:{user}"
    )


async def seed(world: World, guild: FakeGuild) -> None:
    """Alice's XP, a note about her, a note and a tag she wrote; Bob's tag."""

    async def rows() -> None:
        await Member.create(user_id=ALICE, xp=120, message_count=9)
        await Member.create(user_id=BOB, xp=50, message_count=2)
        await Note.create(target_user_id=ALICE, author_id=MOD, content="about alice")
        await Note.create(target_user_id=BOB, author_id=ALICE, content="alice wrote")
        await Tag.create(name="mine", name_key="mine", content="x", author_id=ALICE)
        await Tag.create(name="bobs", name_key="bobs", content="y", author_id=BOB)

    await world.rows(guild, rows)


async def snapshot(world: World, guild: FakeGuild) -> dict[str, object]:
    async def rows() -> dict[str, object]:
        return {
            "members": sorted(await Member.all().values_list("user_id", flat=True)),
            "notes": sorted(await Note.all().values_list("content", "target_user_id", "author_id")),
            "tags": sorted(await Tag.all().values_list("name", "author_id")),
        }

    return await world.rows(guild, rows)


async def test_forget_me_deletes_own_data_and_anonymises_authorship(
    world: World, guild: FakeGuild
) -> None:
    """Alice's member row and notes about her go; what she wrote stays, authored by nobody."""
    await seed(world, guild)
    untouched = await world.new_guild()
    await seed(world, untouched)
    before_elsewhere = await snapshot(world, untouched)
    reply = await forget_me(world, guild, ALICE)
    assert reply.content == FORGOTTEN.format(rows="4 rows")
    assert reply.components == []
    assert await snapshot(world, guild) == {
        "members": [BOB],
        "notes": [("alice wrote", BOB, GHOST_USER_ID)],
        "tags": [("bobs", BOB), ("mine", GHOST_USER_ID)],
    }
    assert await snapshot(world, untouched) == before_elsewhere


async def test_forget_me_with_no_data_still_confirms(world: World, guild: FakeGuild) -> None:
    """Forgetting someone the guild knows nothing about is a harmless no-op."""
    reply = await forget_me(world, guild, BOB)
    assert reply.content == FORGOTTEN.format(rows="0 rows")


async def test_forget_me_asks_first_and_deletes_nothing_until_confirmed(
    world: World, guild: FakeGuild
) -> None:
    """The command only asks; Cancel deletes nothing and says so."""
    await seed(world, guild)
    before = await snapshot(world, guild)
    asked = await world.slash(guild, ALICE, "privacy", "forget-me")
    labels = [c["label"] for row in asked.components for c in row["components"]]
    assert labels == ["Delete my data", "Cancel"]
    assert await snapshot(world, guild) == before
    cancelled = await forget_me(world, guild, ALICE, "cancel")
    assert (cancelled.content, cancelled.components) == ("Nothing was deleted.", [])
    assert await snapshot(world, guild) == before


async def test_forget_me_button_of_someone_else_deletes_nothing(
    world: World, guild: FakeGuild
) -> None:
    """Bob pressing Alice's confirmation is refused; Alice's data stays."""
    await seed(world, guild)
    before = await snapshot(world, guild)
    asked = await world.slash(guild, ALICE, "privacy", "forget-me")
    assert asked.message is not None
    pressed = await world.fake.click(
        guild.id, BOB, asked.message, f"privacy:forget-me:confirm:{ALICE}"
    )
    assert (pressed.content, pressed.ephemeral) == (
        "You are not allowed to use this command.",
        True,
    )
    assert await snapshot(world, guild) == before


async def test_forget_me_confirmation_in_french(world: World, guild: FakeGuild) -> None:
    """The question and its buttons are in the caller's language."""
    asked = await world.slash(guild, ALICE, "privacy", "forget-me", locale="fr")
    assert (asked.content or "").startswith("Cela supprime définitivement votre XP")
    labels = [c["label"] for row in asked.components for c in row["components"]]
    assert labels == ["Supprimer mes données", "Annuler"]


async def test_forget_me_in_a_disabled_guild_is_refused(world: World, guild: FakeGuild) -> None:
    """A disabled guild refuses forget-me like any tenant command and keeps every row."""
    await seed(world, guild)
    before = await snapshot(world, guild)
    await world.tenancy.disable(guild.id)
    reply = await world.slash(guild, ALICE, "privacy", "forget-me")
    assert reply.content == (
        "Guildhall is disabled in this server. Nothing was changed, and your data is kept."
    )
    assert await snapshot(world, guild) == before


async def test_opt_out_stops_xp_everywhere_and_opt_in_resumes(
    world: World, guild: FakeGuild
) -> None:
    """Opting out sets the shared flag and messages stop counting; opting in resumes."""
    user_id = 600_000_000_000_000_901
    reply = await world.slash(guild, user_id, "privacy", "opt-out")
    assert reply.ephemeral
    assert reply.content == (
        "XP tracking is off for you in every server. Your existing XP stays; "
        "/privacy forget-me deletes it in a server."
    )
    assert (await User.get(user_id=user_id)).tracking_opt_out
    await world.fake.send_message(guild.id, None, user_id, "ignored")
    await world.fake.send_message(guild.id, None, ALICE, "marker")
    await eventually(lambda: world.rows(guild, lambda: Member.get_or_none(user_id=ALICE)))
    assert await world.rows(guild, lambda: Member.get_or_none(user_id=user_id)) is None

    again = await world.slash(guild, user_id, "privacy", "opt-in")
    assert again.content == "XP tracking is on for you again, in every server."
    assert not (await User.get(user_id=user_id)).tracking_opt_out
    await world.fake.send_message(guild.id, None, user_id, "counted")
    counted = await eventually(
        lambda: world.rows(guild, lambda: Member.get_or_none(user_id=user_id))
    )
    assert counted.xp > 0


async def test_opt_in_without_a_record_creates_none(world: World, guild: FakeGuild) -> None:
    """Opting in when never opted out changes nothing (tracking is the default)."""
    user_id = 600_000_000_000_000_902
    await world.slash(guild, user_id, "privacy", "opt-in")
    assert await User.get_or_none(user_id=user_id) is None


async def test_opt_out_works_in_a_disabled_guild(world: World, guild: FakeGuild) -> None:
    """Opting out touches no guild data, so a disabled guild does not block it."""
    user_id = 600_000_000_000_000_903
    await world.tenancy.disable(guild.id, reason="maintenance")
    reply = await world.slash(guild, user_id, "privacy", "opt-out", locale="fr")
    assert reply.content is not None
    assert reply.content.startswith("Le suivi de l'XP est désactivé pour vous")
    assert (await User.get(user_id=user_id)).tracking_opt_out
