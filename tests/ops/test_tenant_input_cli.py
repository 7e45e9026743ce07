"""`guildhall tenants enable/disable` apply the same input rules as the /tenant commands."""

from __future__ import annotations

import pytest

from app.models.shared import Tenant


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("enable", "--until", "2001-01-01"), "--until '2001-01-01' is in the past"),
        (("enable", "--until", "soon"), "--until 'soon' is not a date"),
        (("disable", "--reason", "r" * 201), "--reason: a reason is at most 200 characters"),
    ],
    ids=["until-past", "until-garbage", "reason-long"],
)
async def test_bad_until_or_reason_exits_2_and_changes_nothing(
    cli, provisioned, args: tuple[str, ...], message: str
) -> None:
    """A past or malformed --until and an over-long --reason: one line, exit 2, row untouched."""
    guild = await provisioned()
    before = await Tenant.get(guild_id=guild)
    command, *options = args
    result = await cli("tenants", command, str(guild), *options)
    assert result.code == 2
    line = result.stderr.strip()
    assert line.startswith(f"guildhall: {message}") and len(line.splitlines()) == 1
    after = await Tenant.get(guild_id=guild)
    assert (after.status, after.reason, after.paid_until) == (
        before.status,
        before.reason,
        before.paid_until,
    )
