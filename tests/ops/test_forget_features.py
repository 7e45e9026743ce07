"""Issue 16's tables under a data-deletion request and the right of access: tag aliases lose
their author; settings, no-XP channels and rewards hold no user data; the access export
names exactly the rows erasure would touch."""

from __future__ import annotations

import secrets

from app.models.tenant import GuildSettings, Member, Note, NoXpChannel, RoleReward, Tag, TagAlias
from app.tenancy import forget_user_everywhere, guild_db, user_rows_in_bound_guild


def _user() -> int:
    return 10**15 + secrets.randbelow(10**15)


async def _give_data(guild_id: int, user_id: int) -> None:
    async with guild_db(guild_id):
        await Member.create(user_id=user_id, xp=10)
        tag = await Tag.create(name="t", name_key="t", content="c", author_id=1)
        await TagAlias.create(name="a", name_key="a", tag_id=tag.id, author_id=user_id)
        await Note.create(target_user_id=user_id, author_id=1, content="about")
        # Ids equal to the user's in tables without user data must stay untouched.
        await GuildSettings.create(id=1, tag_creator_role_id=user_id)
        await NoXpChannel.create(channel_id=user_id)
        await RoleReward.create(level=2, role_id=user_id)


async def test_the_access_export_lists_what_erasure_touches(tenancy, provisioned) -> None:
    """The rows /privacy export shows are the rows a deletion request deletes or anonymizes."""
    user, guild = _user(), await provisioned()
    await _give_data(guild, user)
    async with guild_db(guild):
        shown = await user_rows_in_bound_guild(user)
    assert {table: len(rows) for table, rows in shown.items()} == {
        "member": 1, "tag_alias": 1, "note": 1,
    }  # fmt: skip
    report = await forget_user_everywhere(user, jobs=1)
    counts = next(g.counts for g in report.guilds if g.guild_id == guild)
    assert counts == {"member": 1, "tag_alias": 1, "note": 1}
    async with guild_db(guild):
        assert (await TagAlias.get(name_key="a")).author_id == 0
        assert await user_rows_in_bound_guild(user) == {}
        assert (await GuildSettings.get(id=1)).tag_creator_role_id == user
        assert await NoXpChannel.filter(channel_id=user).exists()
        assert await RoleReward.filter(role_id=user).exists()
