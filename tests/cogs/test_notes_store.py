"""The note store, directly against a provisioned guild."""

from __future__ import annotations

import pytest

from app.cogs.notes import _store as notes
from app.cogs.notes._cog import check_content
from app.i18n import UserFacingError
from app.tenancy import guild_db


async def test_about_returns_newest_first_with_total(guild_id: int) -> None:
    """Notes about one member come newest first, limited, with the full count."""
    async with guild_db(guild_id):
        for text in ("one", "two", "three"):
            await notes.add(target_user_id=5, author_id=9, content=text)
        await notes.add(target_user_id=6, author_id=9, content="other member")
        found, total = await notes.about(5, limit=2)
    assert ([n.content for n in found], total) == (["three", "two"], 3)


async def test_remove_reports_whether_a_note_was_deleted(guild_id: int) -> None:
    """Removing deletes exactly one note; a second remove finds nothing."""
    async with guild_db(guild_id):
        note = await notes.add(target_user_id=5, author_id=9, content="x")
        assert await notes.remove(note.id)
        assert not await notes.remove(note.id)


@pytest.mark.parametrize(
    ("raw", "key"), [("  ", "note.content_empty"), ("n" * 1001, "note.content_too_long")]
)
def test_check_content_refuses_blank_and_long_notes(raw: str, key: str) -> None:
    """Notes are not blank and at most 1000 characters."""
    with pytest.raises(UserFacingError) as refused:
        check_content(raw)
    assert refused.value.key == key
    assert check_content("n" * 1000) == "n" * 1000
