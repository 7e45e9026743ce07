"""The disable reason and the "until" date: one set of rules for the CLI and /tenant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.models.shared import Tenant
from app.tenancy import (
    REASON_MAX,
    InvalidUntil,
    ReasonTooLong,
    UntilInPast,
    parse_reason,
    parse_until,
)

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


def test_reason_limit_is_the_registry_columns_size() -> None:
    """The 200-character limit is read from the registry column, not restated."""
    assert REASON_MAX == Tenant._meta.fields_map["reason"].max_length == 200


@pytest.mark.parametrize(
    ("raw", "stored"),
    [(None, None), ("   ", None), ("  unpaid  ", "unpaid"), ("r" * 200, "r" * 200)],
)
def test_reason_is_stripped_and_blank_means_none(raw: str | None, stored: str | None) -> None:
    """A reason is stored stripped; a blank one is no reason; 200 characters are accepted."""
    assert parse_reason(raw) == stored


def test_reason_over_the_limit_is_refused_naming_both_lengths() -> None:
    """201 characters are refused with the limit and the length."""
    with pytest.raises(ReasonTooLong, match="at most 200 characters; this one has 201") as info:
        parse_reason("r" * 201)
    assert (info.value.limit, info.value.length) == (200, 201)


@pytest.mark.parametrize(
    ("raw", "moment"),
    [
        (None, None),
        (" ", None),
        ("2030-06-15", datetime(2030, 6, 16, tzinfo=UTC)),  # served through that day
        (" 2031-01-31 ", datetime(2031, 2, 1, tzinfo=UTC)),
        ("2030-06-15T18:30", datetime(2030, 6, 15, 18, 30, tzinfo=UTC)),  # naive means UTC
        ("2030-06-15T18:30+02:00", datetime(2030, 6, 15, 16, 30, tzinfo=UTC)),
    ],
)
def test_until_takes_a_date_or_an_iso_datetime(raw: str | None, moment: datetime | None) -> None:
    """A date means the end of that day (UTC); a datetime without a zone is UTC."""
    assert parse_until(raw, NOW) == moment


@pytest.mark.parametrize("raw", ["soon", "2030-13-01", "15/06/2030"])
def test_until_that_is_not_a_date_is_refused(raw: str) -> None:
    """Anything but YYYY-MM-DD or an ISO datetime is refused, saying which forms work."""
    with pytest.raises(InvalidUntil, match="use YYYY-MM-DD or an ISO datetime"):
        parse_until(raw, NOW)


@pytest.mark.parametrize("raw", ["2030-06-14", "2030-06-15T12:00", "2001-01-01"])
def test_until_in_the_past_is_refused(raw: str) -> None:
    """A moment already reached (today's date counts as served through today) is refused."""
    with pytest.raises(UntilInPast, match="is in the past"):
        parse_until(raw, NOW)
