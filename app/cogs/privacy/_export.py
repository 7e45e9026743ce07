"""/privacy export: the caller's data in this guild as a JSON file, only for them to see."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import disnake

from app.cogs._common import GuildInter, tr
from app.cogs.privacy import _store as privacy
from app.tenancy import guild_db

FORMAT = "guildhall-user-data"
VERSION = 1


async def export_document(guild_id: int, user_id: int) -> dict[str, object]:
    """The caller's rows in the guild (by the models' ``user_data`` policies) and their
    XP opt-out, which is kept across guilds."""
    async with guild_db(guild_id):
        tables = await privacy.rows_here(user_id)
    return {
        "format": FORMAT,
        "version": VERSION,
        # Discord ids as text: JSON readers lose precision past 2**53.
        "guild_id": str(guild_id),
        "user_id": str(user_id),
        "exported_at": datetime.now(UTC).isoformat(),
        "xp_tracking_opted_out": await privacy.is_opted_out(user_id),
        "tables": tables,
    }


async def send_export(inter: GuildInter) -> None:
    """Answer with the export attached, ephemerally."""
    document = await export_document(inter.guild_id, inter.author.id)
    data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    tables = document["tables"]
    rows = sum(len(v) for v in tables.values()) if isinstance(tables, dict) else 0
    name = f"guildhall-{inter.guild_id}-{inter.author.id}.json"
    await inter.response.send_message(
        tr(inter, "privacy.exported", rows=rows),
        file=disnake.File(io.BytesIO(data), filename=name),
        ephemeral=True,
    )
