"""/config through the real client and the fake Discord: show, XP on/off, no-XP channels,
level-up announcements, the tag-creator role and the reply language."""

from __future__ import annotations

import pytest

from app.models.tenant import Member
from bench.fakediscord import MANAGE_GUILD, FakeDiscordError, FakeGuild
from bench.fakediscord.roles import create_role
from tests.bot.conftest import ALICE, BOB, MOD, World, eventually

pytestmark = pytest.mark.e2e

DEFAULTS = (
    "**Settings of this server**\n"
    "XP: on\n"
    "No-XP channels: none\n"
    "Level-up announcements: off\n"
    "Level-up message: the built-in message\n"
    "Who may create tags: everyone\n"
    "Reply language: each member's own"
)


async def config(world: World, guild: FakeGuild, sub: str, **options: object):
    """Run ``/config sub`` as a moderator with Manage Server."""
    return await world.slash(
        guild, MOD, "config", sub, options=dict(options), permissions=MANAGE_GUILD
    )


async def counted(world: World, guild: FakeGuild, user_id: int, messages: int) -> Member:
    """Wait until ``messages`` messages of the user were counted in the guild."""

    async def probe() -> Member | None:
        found = await world.rows(guild, lambda: Member.get_or_none(user_id=user_id))
        return found if found is not None and found.message_count >= messages else None

    return await eventually(probe)


async def settle(world: World) -> None:
    """Wait until messages posted so far were handled: a marker in a fresh guild is counted
    (each gateway event is handled in its own task, in the order sent)."""
    marker = await world.new_guild("marker")
    await world.post(marker, ALICE, "marker")
    await counted(world, marker, ALICE, 1)


@pytest.fixture
async def roomy(world: World) -> FakeGuild:
    """A fresh guild with three text channels: general, spam, levels."""
    return await world.new_guild("Roomy", channels=("general", "spam", "levels"))


async def test_config_show_lists_the_defaults(world: World, guild: FakeGuild) -> None:
    """/config show in a guild that never ran /config shows every default, ephemerally."""
    shown = await config(world, guild, "show")
    assert shown.content == DEFAULTS
    assert shown.ephemeral


async def test_config_is_hidden_from_members_without_manage_server(
    world: World, guild: FakeGuild
) -> None:
    """Discord does not even offer /config to a member without Manage Server."""
    with pytest.raises(FakeDiscordError, match="default_member_permissions"):
        await world.slash(guild, ALICE, "config", "show")


async def test_xp_off_counts_nothing_and_on_counts_again(world: World, guild: FakeGuild) -> None:
    """With XP off no message is counted; members keep their XP; turning it on counts again."""
    off = await config(world, guild, "xp", enabled=False)
    assert off.content == "XP is no longer counted in this server; members keep what they earned."
    await world.post(guild, ALICE, "while off")
    await settle(world)
    assert await world.rows(guild, lambda: Member.get_or_none(user_id=ALICE)) is None
    on = await config(world, guild, "xp", enabled=True)
    assert on.content == "XP is counted in this server."
    await world.post(guild, ALICE, "back on")
    assert (await counted(world, guild, ALICE, 1)).xp > 0


async def test_no_xp_channel_is_not_counted_until_removed(world: World, roomy: FakeGuild) -> None:
    """A no-XP channel's messages are not counted; others are; removing it counts it again."""
    spam = roomy.channels[1]
    added = await config(world, roomy, "no-xp add", channel=spam.id)
    assert added.content == f"Messages in <#{spam.id}> no longer earn XP."
    assert (await config(world, roomy, "show")).content == DEFAULTS.replace(
        "No-XP channels: none", f"No-XP channels: <#{spam.id}>"
    )
    await world.fake.send_message(roomy.id, spam.id, ALICE, "spam")
    await world.post(roomy, ALICE, "general")
    await counted(world, roomy, ALICE, 1)
    await settle(world)
    assert (await counted(world, roomy, ALICE, 1)).message_count == 1
    removed = await config(world, roomy, "no-xp remove", channel=spam.id)
    assert removed.content == f"Messages in <#{spam.id}> earn XP again."
    await world.fake.send_message(roomy.id, spam.id, ALICE, "spam again")
    await counted(world, roomy, ALICE, 2)


async def test_no_xp_add_twice_and_remove_unknown_say_so(world: World, roomy: FakeGuild) -> None:
    """Adding a no-XP channel twice, or removing one that is not, answers one clear line."""
    spam, levels = roomy.channels[1], roomy.channels[2]
    await config(world, roomy, "no-xp add", channel=spam.id)
    again = await config(world, roomy, "no-xp add", channel=spam.id)
    assert again.content == f"<#{spam.id}> is already a no-XP channel; /config show lists them."
    assert again.ephemeral
    missing = await config(world, roomy, "no-xp remove", channel=levels.id)
    assert missing.content == f"<#{levels.id}> is not a no-XP channel; /config show lists them."


async def test_level_up_is_announced_in_the_members_channel_with_the_template(
    world: World, guild: FakeGuild
) -> None:
    """Mode "same" with a template: reaching level 1 posts the filled template where the
    member wrote, pinging only them."""
    done = await config(world, guild, "level-up", mode="same", message="{member} is now {level}!")
    assert done.content == "Level-ups will be announced in the channel the member wrote in."
    await world.rows(guild, lambda: Member.create(user_id=ALICE, xp=95, level=0))
    await world.post(guild, ALICE, "one more")
    sent = await world.fake.wait_for_bot_message(guild.channel_id)
    assert sent["content"] == f"<@{ALICE}> is now 1!"
    request = next(
        r for r in world.fake.requests_for("POST /channels/{channel_id}/messages")
        if r.body and r.body.get("content") == sent["content"]
    )  # fmt: skip
    assert request.body["allowed_mentions"]["users"] == [ALICE]


async def test_level_up_message_is_shown_and_built_in_restores_the_default(
    world: World, guild: FakeGuild
) -> None:
    """/config show quotes the template as written; built-in goes back to the default text;
    giving both is refused."""
    await config(world, guild, "level-up", mode="same", message="**{member}** → {level}")
    shown = await config(world, guild, "show")
    assert "Level-up message: `**{member}** → {level}`" in (shown.content or "")
    both = await config(world, guild, "level-up", mode="same", message="x", **{"built-in": True})
    assert both.content == "Give either a message or built-in, not both."
    await config(world, guild, "level-up", mode="same", **{"built-in": True})
    shown = await config(world, guild, "show")
    assert "Level-up message: the built-in message" in (shown.content or "")


async def test_level_up_in_a_chosen_channel_uses_the_guild_language(
    world: World, roomy: FakeGuild
) -> None:
    """Mode "channel" posts the built-in text in the chosen channel, in the guild's language;
    a message that does not cross a level announces nothing."""
    levels = roomy.channels[2]
    done = await config(world, roomy, "level-up", mode="channel", channel=levels.id)
    assert done.content == f"Level-ups will be announced in <#{levels.id}>."
    french = await config(world, roomy, "language", language="fr")
    assert french.content == "Guildhall répond désormais en français dans ce serveur."
    await world.rows(roomy, lambda: Member.create(user_id=BOB, xp=10))
    await world.rows(roomy, lambda: Member.create(user_id=ALICE, xp=250, level=1))
    await world.post(roomy, BOB, "no level")
    await world.post(roomy, ALICE, "level two")
    sent = await world.fake.wait_for_bot_message(levels.id)
    assert sent["content"] == f"Bravo <@{ALICE}>, vous passez au niveau **2** !"
    await settle(world)
    assert len(world.fake.requests_for("POST /channels/{channel_id}/messages")) >= 1
    assert not [m for m in world.fake.channel_messages if str(BOB) in m["content"]]


async def test_level_up_off_announces_nothing(world: World, guild: FakeGuild) -> None:
    """By default (and after mode "off") a level-up posts nothing."""
    off = await config(world, guild, "level-up", mode="off")
    assert off.content == "Level-ups are no longer announced."
    await world.rows(guild, lambda: Member.create(user_id=ALICE, xp=95))
    await world.post(guild, ALICE, "level one, quietly")

    async def levelled() -> bool:
        found = await world.rows(guild, lambda: Member.get_or_none(user_id=ALICE))
        return found is not None and found.level == 1

    await eventually(levelled)
    await settle(world)
    assert not [m for m in world.fake.channel_messages if m["channel_id"] == str(guild.channel_id)]


async def test_level_up_bad_input_is_refused_and_nothing_changes(
    world: World, guild: FakeGuild
) -> None:
    """A chosen-channel mode without a channel, an unknown placeholder, a stray brace or an
    empty message each answer one line; the settings stay as they were."""
    no_channel = await config(world, guild, "level-up", mode="channel")
    assert no_channel.content == (
        'Choose the channel too: /config level-up with mode "In a chosen channel" '
        "and the channel option."
    )
    unknown = await config(world, guild, "level-up", mode="same", message="hi {user.name}")
    assert unknown.content == (
        "The message may use only {member}, {level}; `{user.name}` is not one of them."
    )
    brace = await config(world, guild, "level-up", mode="same", message="level {level")
    assert brace.content == (
        "The message has an unmatched brace; write {{ or }} for a literal brace."
    )
    empty = await config(world, guild, "level-up", mode="same", message="   ")
    assert empty.content == (
        "The message is empty; write some text, e.g. {member} reached level {level}!"
    )
    too_long = await config(world, guild, "level-up", mode="same", message="x" * 501)
    assert too_long.content == "The message is 501 characters long; the limit is 500."
    assert (await config(world, guild, "show")).content == DEFAULTS


async def test_tag_role_limits_who_creates_tags(world: World, guild: FakeGuild) -> None:
    """With a tag-creator role only its members (or Manage Server) create tags; clearing it
    lets everyone again."""
    role = await create_role(world.fake, guild.id, "Taggers")
    set_ = await config(world, guild, "tag-role", role=role.id)
    assert set_.content == f"Only members with <@&{role.id}> can create tags now."
    refused = await world.slash(
        guild, ALICE, "tag", "create", options={"name": "a", "content": "x"}
    )
    assert refused.content == (
        f"Only members with <@&{role.id}> can create tags here; ask a moderator."
    )
    assert refused.ephemeral
    world.fake.add_member(guild.id, ALICE, roles=[role.id])
    allowed = await world.slash(
        guild, ALICE, "tag", "create", options={"name": "a", "content": "x"}
    )
    assert allowed.content == "Tag **a** created."
    cleared = await config(world, guild, "tag-role")
    assert cleared.content == "Everyone can create tags now."
    bobs = await world.slash(guild, BOB, "tag", "create", options={"name": "b", "content": "y"})
    assert bobs.content == "Tag **b** created."


async def test_guild_language_overrides_the_callers_and_member_restores_it(
    world: World, guild: FakeGuild
) -> None:
    """With the guild language French, an English caller reads French; "each member's own"
    goes back to the caller's language."""
    await config(world, guild, "language", language="fr")
    missing = await world.slash(guild, ALICE, "tag", "show", options={"name": "nope"})
    assert missing.content is not None and missing.content.startswith("Aucun tag")
    shown = await config(world, guild, "show")
    assert shown.content is not None
    assert shown.content.endswith("Langue des réponses : français")
    back = await config(world, guild, "language", language="member")
    assert back.content == "Guildhall now replies in each member's own language."
    english = await world.slash(guild, ALICE, "tag", "show", options={"name": "nope"})
    assert english.content is not None and english.content.startswith("There is no tag")


async def test_settings_of_one_guild_do_not_reach_another(world: World, guild: FakeGuild) -> None:
    """Changing guild A's settings leaves guild B at the defaults."""
    other = await world.new_guild("Other")
    await config(world, guild, "xp", enabled=False)
    await config(world, guild, "language", language="fr")
    assert (await config(world, other, "show")).content == DEFAULTS


async def test_config_in_french_answers_in_french(world: World, guild: FakeGuild) -> None:
    """A French moderator reads /config in French."""
    shown = await world.slash(guild, MOD, "config", "show", permissions=MANAGE_GUILD, locale="fr")
    assert shown.content is not None
    assert shown.content.startswith("**Réglages de ce serveur**\nXP : activée")
