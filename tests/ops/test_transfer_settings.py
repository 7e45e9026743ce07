"""Export / import carry a guild's settings (guild_settings, no_xp_channel) like any table."""

from __future__ import annotations

import io
import json

from app.cogs import _guild_settings as guild_settings
from app.tenancy import guild_db
from app.tenancy.transfer import export_guild, import_guild


async def test_settings_survive_export_and_import_into_another_guild(provisioned) -> None:
    """A's settings and no-XP channels, exported and imported into B, are B's settings."""
    a, b = await provisioned(), await provisioned()
    async with guild_db(a):
        await guild_settings.update(
            a, xp_enabled=False, level_up_mode="channel", level_up_channel_id=77,
            level_up_template="{member} → {level}", tag_creator_role_id=5, language="fr",
        )  # fmt: skip
        await guild_settings.set_no_xp_channel(a, 42, no_xp=True)
        expected = await guild_settings.current(a)
    out = io.StringIO()
    await export_guild(a, out.write)
    document = json.loads(out.getvalue())
    assert len(document["tables"]["guild_settings"]) == 1
    assert [row["channel_id"] for row in document["tables"]["no_xp_channel"]] == [42]
    await import_guild(b, io.StringIO(out.getvalue()))
    async with guild_db(b):
        assert await guild_settings.current(b) == expected
