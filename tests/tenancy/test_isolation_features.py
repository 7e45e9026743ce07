"""Issue 16's tables are per guild like every other: what guild A writes, guild B never sees."""

from __future__ import annotations

from app.cogs import _guild_settings as guild_settings
from app.models.tenant import GuildSettings, NoXpChannel, RoleReward, Tag, TagAlias
from app.tenancy import guild_db


async def test_settings_rewards_channels_and_aliases_stay_in_their_guild(provisioned) -> None:
    """Rows of the new tables written in A are invisible in B, and B's settings are defaults."""
    a, b = await provisioned(), await provisioned()
    async with guild_db(a):
        await GuildSettings.create(id=1, xp_enabled=False, language="fr")
        await NoXpChannel.create(channel_id=9)
        await RoleReward.create(level=3, role_id=4)
        tag = await Tag.create(name="t", name_key="t", content="x", author_id=1)
        await TagAlias.create(name="a", name_key="a", tag_id=tag.id, author_id=1)
    async with guild_db(b):
        for model in (GuildSettings, NoXpChannel, RoleReward, TagAlias):
            assert await model.all().count() == 0, model.__name__
        assert await guild_settings.current(b) == guild_settings.GuildConfig()
    async with guild_db(a):
        found = await guild_settings.current(a)
    assert not found.xp_enabled and found.language == "fr" and found.no_xp_channels == {9}
