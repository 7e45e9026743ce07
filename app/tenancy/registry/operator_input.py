"""What an operator sets on a guild's registry row: the disable reason, the "until" date and
the guild name ``tenants provision --name`` records.

``guildhall tenants enable/disable`` and the ``/tenant`` slash commands read these values with
the rules below and nowhere else, so the two front ends cannot drift apart. Each front end turns
the typed errors into its own words (an option name on the command line, a localized reply in
Discord).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from tortoise.fields import CharField

from app.models.shared import Tenant
from app.tenancy.errors import TenancyError

#: The registry's ``reason`` column size: the limit is the column's, never restated.
REASON_MAX: int = cast("CharField[str]", Tenant._meta.fields_map["reason"]).max_length
#: The registry's ``name`` column size, likewise.
NAME_MAX: int = cast("CharField[str]", Tenant._meta.fields_map["name"]).max_length
#: A bare date is this long (YYYY-MM-DD); anything else must be an ISO datetime.
_DATE_LENGTH = 10


class InvalidOperatorInput(TenancyError, ValueError):
    """A reason or date an operator gave that the registry cannot take as it is."""


class ReasonTooLong(InvalidOperatorInput):
    """A disable reason longer than the registry column."""

    def __init__(self, length: int) -> None:
        self.limit = REASON_MAX
        self.length = length
        super().__init__(f"a reason is at most {REASON_MAX} characters; this one has {length}")


class NameTooLong(InvalidOperatorInput):
    """A guild name longer than the registry column (refused, never cut)."""

    def __init__(self, length: int) -> None:
        self.limit = NAME_MAX
        self.length = length
        super().__init__(f"a guild name is at most {NAME_MAX} characters; this one has {length}")


class InvalidUntil(InvalidOperatorInput):
    """An "until" value that is neither a date nor an ISO datetime."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(f"{value[:40]!r} is not a date; use YYYY-MM-DD or an ISO datetime")


class UntilInPast(InvalidOperatorInput):
    """An "until" moment already reached: the guild would be expired as soon as enabled."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            f"{value[:40]!r} is in the past; give a later date, or none to serve without end"
        )


def parse_reason(raw: str | None) -> str | None:
    """The disable reason as stored: stripped, None when blank, at most :data:`REASON_MAX`."""
    if raw is None or not raw.strip():
        return None
    reason = raw.strip()
    if len(reason) > REASON_MAX:
        raise ReasonTooLong(len(reason))
    return reason


def parse_guild_name(raw: str) -> str:
    """The guild name as recorded: stripped, at most :data:`NAME_MAX` (longer is refused)."""
    name = raw.strip()
    if len(name) > NAME_MAX:
        raise NameTooLong(len(name))
    return name


def parse_until(raw: str | None, now: datetime | None = None) -> datetime | None:
    """The paid-until moment: a date serves through the end of that day (UTC), an ISO datetime
    without a zone is UTC; None when blank. Refuses anything else and moments not after ``now``.
    """
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        if len(text) == _DATE_LENGTH:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidUntil(text) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment <= (now or datetime.now(UTC)):
        raise UntilInPast(text)
    return moment
