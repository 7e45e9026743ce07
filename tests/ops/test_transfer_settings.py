"""Export / import carry issue 16's tables (settings, no-XP channels, role rewards, tag
aliases) like any other, and an import drops what running processes cached of the guild."""

from __future__ import annotations

import asyncio
import io
import json

from app.cogs import _guild_settings as guild_settings
from app.cogs import _rewards as rewards
from app.models.tenant import Tag, TagAlias
from app.tenancy import current_tenancy, export_guild, guild_db, import_guild


async def _export(guild_id: int) -> str:
    out = io.StringIO()
    await export_guild(guild_id, out.write)
    return out.getvalue()


async def test_settings_rewards_and_aliases_survive_export_and_import(provisioned) -> None:
    """A's settings, no-XP channels, rewards and aliases, imported into B, are B's."""
    a, b = await provisioned(), await provisioned()
    async with guild_db(a):
        await guild_settings.update(
            a, xp_enabled=False, level_up_mode="channel", level_up_channel_id=77,
            level_up_template="{member} → {level}", tag_creator_role_id=5, language="fr",
        )  # fmt: skip
        await guild_settings.set_no_xp_channel(a, 42, no_xp=True)
        await rewards.set_reward(5, 2**60)
        tag = await Tag.create(name="Rules", name_key="rules", content="x", author_id=1)
        await TagAlias.create(name="R", name_key="r", tag_id=tag.id, author_id=2)
        expected = await guild_settings.current(a)
    document = json.loads(await _export(a))
    assert len(document["tables"]["guild_settings"]) == 1
    assert [row["channel_id"] for row in document["tables"]["no_xp_channel"]] == [42]
    assert list(document["tables"]).index("tag") < list(document["tables"]).index("tag_alias")
    await import_guild(b, io.StringIO(json.dumps(document)), allow_other_guild=True)
    async with guild_db(b):
        assert await guild_settings.current(b) == expected
        assert [(r.level, r.role_id) for r in await rewards.rewards()] == [(5, 2**60)]
        alias = await TagAlias.get(name_key="r")
        assert (await Tag.get(id=alias.tag_id)).name == "Rules"


async def test_an_import_drops_the_guilds_cached_settings(tenancy, provisioned) -> None:
    """Replacing a guild's rows by import makes running processes re-read its settings."""
    source, target = await provisioned(), await provisioned()
    async with guild_db(source):
        await guild_settings.update(source, language="fr")
    async with guild_db(target):
        assert (await guild_settings.current(target)).language is None  # now cached
    await import_guild(
        target, io.StringIO(await _export(source)), replace=True, allow_other_guild=True
    )
    cache = current_tenancy().guild_caches.kind(guild_settings.KIND)
    for _ in range(100):  # the listener hears the NOTIFY sent at commit
        if cache.peek(target) is None:
            break
        await asyncio.sleep(0.01)
    async with guild_db(target):
        assert (await guild_settings.current(target)).language == "fr"
