"""What /tenant status reads: row counts, the schema size, and its input parsing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from app.cogs.tenant import _store as store
from app.cogs.tenant._cog import check_reason, human_size, parse_until
from app.i18n import UserFacingError
from app.models.tenant import Member, Tag
from app.tenancy import guild_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def test_row_counts_count_each_table(guild_id: int) -> None:
    """Members, tags and notes are counted in the bound guild."""
    async with guild_db(guild_id):
        await Member.create(user_id=1)
        await Member.create(user_id=2)
        await Tag.create(name="t", name_key="t", content="x", author_id=1)
        counts = await store.row_counts()
    assert (counts.members, counts.tags, counts.notes) == (2, 1, 0)


async def test_size_bytes_sums_the_schemas_tables(
    guild_id: int, new_guild_id: itertools.count[int]
) -> None:
    """A provisioned schema has a size that grows with data; a missing one is 0."""
    empty = await store.size_bytes(guild_id)
    assert empty > 0
    async with guild_db(guild_id):
        for i in range(40):
            await Tag.create(name=f"t{i}", name_key=f"t{i}", content="x" * 1500, author_id=1)
    assert await store.size_bytes(guild_id) > empty
    assert await store.size_bytes(next(new_guild_id)) == 0


def test_parse_until_reads_dates_and_datetimes() -> None:
    """A date means through the end of that day (UTC); a naive datetime is UTC."""
    assert parse_until(None, NOW) is None
    assert parse_until("  ", NOW) is None
    assert parse_until("2026-06-30", NOW) == datetime(2026, 7, 1, tzinfo=UTC)
    assert parse_until("2026-06-02T08:30", NOW) == datetime(2026, 6, 2, 8, 30, tzinfo=UTC)
    assert parse_until("2026-06-02T08:30+02:00", NOW) == datetime(2026, 6, 2, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("tomorrow", "tenant.bad_until"),
        ("2026-13-01", "tenant.bad_until"),
        ("2026-05-31", "tenant.until_past"),
    ],
)
def test_parse_until_refuses_garbage_and_the_past(raw: str, key: str) -> None:
    """Unreadable or past dates are refused with a message key."""
    with pytest.raises(UserFacingError) as refused:
        parse_until(raw, NOW)
    assert refused.value.key == key


def test_check_reason_and_human_size() -> None:
    """Blank reasons are none, long ones refused; sizes read as B/KiB/MiB/GiB."""
    assert check_reason("  ") is None
    assert check_reason(" late ") == "late"
    with pytest.raises(UserFacingError):
        check_reason("r" * 201)
    assert [human_size(n) for n in (512, 2048, 5 * 1024**2, 3 * 1024**3)] == [
        "512 B",
        "2.0 KiB",
        "5.0 MiB",
        "3.0 GiB",
    ]
