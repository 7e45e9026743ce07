"""Role rewards and /xp through the real client and the fake Discord: rewards given on
level-up, /xp give, reset and sync, and a clear line whenever the bot may not give a role."""

from __future__ import annotations

import pytest

from app.models.shared import User
from app.models.tenant import Member, RoleReward
from bench.fakediscord import MANAGE_GUILD, FakeDiscordError, FakeGuild
from bench.fakediscord.roles import (
    bot_role,
    create_role,
    delete_role,
    set_role_permissions,
)
from tests.bot.conftest import ALICE, MOD, World, eventually

pytestmark = pytest.mark.e2e


async def moderator(world: World, guild: FakeGuild, command: str, sub: str, **options: object):
    """Run ``/command sub`` as a moderator with Manage Server."""
    return await world.slash(
        guild, MOD, command, sub, options=dict(options), permissions=MANAGE_GUILD
    )


def roles_of(guild: FakeGuild, user_id: int) -> list[int]:
    """The roles the fake Discord says the member holds."""
    return list(guild.members[user_id].roles)


async def test_reward_add_list_replace_and_remove(world: World, guild: FakeGuild) -> None:
    """Rewards are listed by level; adding at a used level replaces; removing says what went."""
    assert (await moderator(world, guild, "config", "reward list")).content == (
        "No role rewards yet; add one with /config reward add."
    )
    regular = await create_role(world.fake, guild.id, "Regular")
    veteran = await create_role(world.fake, guild.id, "Veteran")
    added = await moderator(world, guild, "config", "reward add", level=5, role=regular.id)
    assert added.content == f"Members reaching level 5 now get <@&{regular.id}>."
    await moderator(world, guild, "config", "reward add", level=20, role=veteran.id)
    replaced = await moderator(world, guild, "config", "reward add", level=5, role=veteran.id)
    assert replaced.content == (
        f"Members reaching level 5 now get <@&{veteran.id}> (instead of <@&{regular.id}>)."
    )
    listed = await moderator(world, guild, "config", "reward list")
    assert listed.content == (
        f"**Role rewards**\nLevel **5** → <@&{veteran.id}>\nLevel **20** → <@&{veteran.id}>"
    )
    removed = await moderator(world, guild, "config", "reward remove", level=20)
    assert removed.content == (
        f"No role is given at level 20 any more (<@&{veteran.id}> was); members keep it."
    )
    missing = await moderator(world, guild, "config", "reward remove", level=20)
    assert missing.content == "There is no reward at level 20; /config reward list shows them."


async def test_reward_roles_the_bot_cannot_give_are_refused_with_the_fix(
    world: World, guild: FakeGuild
) -> None:
    """A role above the bot's, a managed role, or no Manage Roles: one line each, nothing kept."""
    high = await create_role(world.fake, guild.id, "Admins", above_bot=True)
    too_high = await moderator(world, guild, "config", "reward add", level=3, role=high.id)
    assert too_high.content == (
        f"<@&{high.id}> is not below my highest role, so I cannot give it; "
        "drag my role above it in Server Settings → Roles."
    )
    mine = bot_role(world.fake, guild.id)
    managed = await moderator(world, guild, "config", "reward add", level=3, role=mine.id)
    assert managed.content == (
        f"<@&{mine.id}> is managed by Discord or an integration, so no bot can give it; "
        "choose another role."
    )
    low = await create_role(world.fake, guild.id, "Regular")
    await set_role_permissions(world.fake, guild.id, mine.id, 0)
    no_perm = await moderator(world, guild, "config", "reward add", level=3, role=low.id)
    assert no_perm.content == (
        f"I need the Manage Roles permission to give <@&{low.id}>; "
        "grant it to my role in Server Settings → Roles."
    )
    assert await world.rows(guild, RoleReward.all) == []


async def test_level_up_gives_the_reward_role(world: World, guild: FakeGuild) -> None:
    """Reaching a level with a reward gives the member its role through Discord."""
    regular = await create_role(world.fake, guild.id, "Regular")
    await moderator(world, guild, "config", "reward add", level=1, role=regular.id)
    await world.rows(guild, lambda: Member.create(user_id=ALICE, xp=95))
    await world.post(guild, ALICE, "level one")

    async def given() -> bool:
        return regular.id in roles_of(guild, ALICE)

    await eventually(given)


async def test_xp_give_sets_the_level_and_gives_earned_roles(
    world: World, guild: FakeGuild
) -> None:
    """/xp give adds XP, sets the level and gives the reward roles reached."""
    regular = await create_role(world.fake, guild.id, "Regular")
    await moderator(world, guild, "config", "reward add", level=2, role=regular.id)
    given = await moderator(world, guild, "xp", "give", member=ALICE, amount=300)
    assert given.content == (
        f"Gave 300 XP to <@{ALICE}>: now level **2** with **300** XP.\n"
        f"Reward roles given: <@&{regular.id}>; taken away: none."
    )
    assert given.ephemeral
    assert roles_of(guild, ALICE) == [regular.id]
    more = await moderator(world, guild, "xp", "give", member=ALICE, amount=10)
    assert more.content == f"Gave 10 XP to <@{ALICE}>: now level **2** with **310** XP."


async def test_xp_give_refuses_a_member_who_opted_out(world: World, guild: FakeGuild) -> None:
    """A member who turned tracking off gets no XP row, even from a moderator."""
    user_id = 600_000_000_000_000_417  # this test's own: the opt-out is shared by all guilds
    await User.create(user_id=user_id, tracking_opt_out=True)
    refused = await moderator(world, guild, "xp", "give", member=user_id, amount=10)
    assert refused.content == (
        f"<@{user_id}> turned XP tracking off (/privacy opt-out), so they cannot be given XP."
    )
    assert await world.rows(guild, lambda: Member.get_or_none(user_id=user_id)) is None


async def test_reward_levels_out_of_range_are_refused_by_discord(
    world: World, guild: FakeGuild
) -> None:
    """Levels 0 and 1001 are outside the option's bounds: Discord itself refuses them."""
    role = await create_role(world.fake, guild.id, "Regular")
    for level in (0, 1001):
        with pytest.raises(FakeDiscordError, match="outside"):
            await moderator(world, guild, "config", "reward add", level=level, role=role.id)


async def test_xp_give_refuses_amounts_out_of_range(world: World, guild: FakeGuild) -> None:
    """Discord itself refuses 0 or more than a million XP (the option's bounds)."""
    with pytest.raises(FakeDiscordError, match="outside"):
        await moderator(world, guild, "xp", "give", member=ALICE, amount=0)
    with pytest.raises(FakeDiscordError, match="outside"):
        await moderator(world, guild, "xp", "give", member=ALICE, amount=1_000_001)


async def test_xp_reset_zeroes_xp_and_takes_reward_roles(world: World, guild: FakeGuild) -> None:
    """/xp reset sets XP and level to 0 and takes the reward roles; a member without XP says so."""
    regular = await create_role(world.fake, guild.id, "Regular")
    await moderator(world, guild, "config", "reward add", level=1, role=regular.id)
    await moderator(world, guild, "xp", "give", member=ALICE, amount=150)
    reset = await moderator(world, guild, "xp", "reset", member=ALICE)
    assert reset.content == (
        f"<@{ALICE}>'s XP and level are now 0.\n"
        f"Reward roles given: none; taken away: <@&{regular.id}>."
    )
    row = await world.rows(guild, lambda: Member.get(user_id=ALICE))
    assert (row.xp, row.level) == (0, 0)
    assert roles_of(guild, ALICE) == []
    nobody = await moderator(world, guild, "xp", "reset", member=MOD + 100)
    assert nobody.content == f"<@{MOD + 100}> has no XP here; nothing to reset."


async def test_xp_sync_gives_missing_and_takes_undue_roles_and_names_problems(
    world: World, guild: FakeGuild
) -> None:
    """/xp sync matches reward roles to the level and names each role it could not handle."""
    regular = await create_role(world.fake, guild.id, "Regular")
    veteran = await create_role(world.fake, guild.id, "Veteran")
    doomed = await create_role(world.fake, guild.id, "Doomed")
    for level, role in ((1, regular), (10, veteran), (2, doomed)):
        await moderator(world, guild, "config", "reward add", level=level, role=role.id)
    await world.rows(guild, lambda: Member.create(user_id=ALICE, xp=300, level=2))
    world.fake.add_member(guild.id, ALICE, roles=[veteran.id])
    await delete_role(world.fake, guild.id, doomed.id)
    synced = await moderator(world, guild, "xp", "sync", member=ALICE)
    assert synced.content == (
        f"<@{ALICE}> is level **2**.\n"
        f"Reward roles given: <@&{regular.id}>; taken away: <@&{veteran.id}>.\n"
        f"The role <@&{doomed.id}> no longer exists; "
        "remove its reward with /config reward remove."
    )
    assert roles_of(guild, ALICE) == [regular.id]


async def test_xp_sync_without_manage_roles_says_how_to_fix_it(
    world: World, guild: FakeGuild
) -> None:
    """When the bot lost Manage Roles, /xp sync names the permission instead of failing."""
    regular = await create_role(world.fake, guild.id, "Regular")
    await moderator(world, guild, "config", "reward add", level=1, role=regular.id)
    await world.rows(guild, lambda: Member.create(user_id=ALICE, xp=150, level=1))
    await set_role_permissions(world.fake, guild.id, bot_role(world.fake, guild.id).id, 0)
    synced = await moderator(world, guild, "xp", "sync", member=ALICE)
    assert synced.content == (
        f"<@{ALICE}> is level **1**.\nReward roles given: none; taken away: none.\n"
        f"I need the Manage Roles permission to give <@&{regular.id}>; "
        "grant it to my role in Server Settings → Roles."
    )


async def test_rewards_answer_in_french(world: World, guild: FakeGuild) -> None:
    """A French moderator reads the reward replies in French."""
    regular = await create_role(world.fake, guild.id, "Regular")
    added = await world.slash(
        guild, MOD, "config", "reward add", options={"level": 4, "role": regular.id},
        permissions=MANAGE_GUILD, locale="fr",
    )  # fmt: skip
    assert (
        added.content == f"Les membres atteignant le niveau 4 reçoivent désormais <@&{regular.id}>."
    )
