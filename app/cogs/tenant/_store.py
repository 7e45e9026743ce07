"""What /tenant status reads about a guild: its rows (bound guild) and its size."""

from __future__ import annotations

from dataclasses import dataclass

from app.models.tenant import Member, Note, Tag
from app.tenancy import schema_size


@dataclass(frozen=True)
class RowCounts:
    """Rows per feature table of one guild."""

    members: int
    tags: int
    notes: int


async def row_counts() -> RowCounts:
    """Rows in the bound guild. Call inside ``guild_db(guild_id, require_active=False)``."""
    return RowCounts(
        members=await Member.all().count(),
        tags=await Tag.all().count(),
        notes=await Note.all().count(),
    )


async def size_bytes(guild_id: int) -> int:
    """Bytes the guild's schema takes on disk, indexes included."""
    return await schema_size(guild_id)
