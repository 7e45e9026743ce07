"""A data-deletion request across every guild (any status) and the shared schema."""

from __future__ import annotations

import json
import secrets

import asyncpg
import pytest

from app.models.shared import User
from app.models.tenant import Member, Note, Tag
from app.tenancy import guild_db
from app.tenancy.guild_data.forget import forget_user_everywhere, parse_user_id
from app.tenancy.guild_data.retention import purge_tenant


def _user() -> int:
    return 10**15 + secrets.randbelow(10**15)


async def _give_data(guild_id: int, user_id: int) -> None:
    async with guild_db(guild_id, require_active=False):
        await Member.create(user_id=user_id, xp=10)
        await Tag.create(name="t", name_key=f"t{user_id}", content="c", author_id=user_id)
        await Note.create(target_user_id=user_id, author_id=1, content="about")


@pytest.fixture
async def broken_guild(tenancy, provisioned):
    """A registered guild whose schema lost a table: forgetting there fails."""
    guild_id = await provisioned()
    conn = await asyncpg.connect(tenancy.address.dsn)
    try:
        await conn.execute(f'DROP TABLE "guild_{guild_id}"."note"')
    finally:
        await conn.close()
    yield guild_id
    await purge_tenant(guild_id, force=True)


async def test_forget_user_everywhere_covers_every_status_and_shared(tenancy, provisioned) -> None:
    """Active, disabled and left guilds all lose the user's rows; the shared row goes too."""
    user = _user()
    active, disabled, left, untouched = [await provisioned() for _ in range(4)]
    for guild in (active, disabled, left):
        await _give_data(guild, user)
    await tenancy.disable(disabled, reason="x")
    await tenancy.mark_left(left)
    await User.create(user_id=user, tracking_opt_out=False)

    report = await forget_user_everywhere(user, jobs=3)

    by_guild = {g.guild_id: g for g in report.guilds}
    for guild in (active, disabled, left):
        assert by_guild[guild].counts == {"member": 1, "tag": 1, "note": 1}
        assert by_guild[guild].error is None
    assert by_guild[disabled].status == "disabled" and by_guild[left].status == "left"
    assert by_guild[untouched].counts == {}
    assert report.shared == {"user": 1}
    assert not await User.filter(user_id=user).exists()
    for guild in (active, disabled, left):
        async with guild_db(guild, require_active=False):
            assert not await Member.filter(user_id=user).exists()
            assert (await Tag.get(name_key=f"t{user}")).author_id == 0


async def test_forget_keeps_an_opt_out_so_tracking_stays_off(tenancy) -> None:
    """An opted-out user's shared row (nothing but the id and the flag) survives forgetting."""
    user = _user()
    await User.create(user_id=user, tracking_opt_out=True)
    report = await forget_user_everywhere(user)
    assert report.shared == {}
    assert (await User.get(user_id=user)).tracking_opt_out


async def test_a_failing_guild_is_reported_and_others_go_on(provisioned, broken_guild) -> None:
    """One guild's failure is reported with its reason; the user's data elsewhere is gone."""
    user = _user()
    healthy = await provisioned()
    await _give_data(healthy, user)
    report = await forget_user_everywhere(user)
    failed = {g.guild_id: g.error for g in report.failed}
    assert broken_guild in failed and "note" in (failed[broken_guild] or "")
    assert {g.guild_id: g.counts for g in report.touched}[healthy] == {
        "member": 1,
        "tag": 1,
        "note": 1,
    }


def test_parse_user_id_refuses_non_snowflakes() -> None:
    """Zero, negatives, 2**64, words and booleans are not user ids."""
    assert parse_user_id("123") == 123
    for bad in ("0", "-1", str(2**64), "abc", "", True, 1.5):
        with pytest.raises(ValueError, match="not a Discord user id"):
            parse_user_id(bad)


async def test_cli_users_forget_prints_counts_and_exits_1_on_failure(
    cli, provisioned, broken_guild
) -> None:
    """`users forget --yes --json`: per-guild counts; a failed guild makes the exit status 1."""
    user = _user()
    guild = await provisioned()
    await _give_data(guild, user)
    refused = await cli("users", "forget", str(user))
    assert refused.code == 2 and "--yes" in refused.stderr
    result = await cli("users", "forget", str(user), "--yes", "--json")
    assert result.code == 1, result.stderr
    report = json.loads(result.stdout)
    rows = {g["guild_id"]: g for g in report["guilds"]}
    assert rows[guild]["counts"] == {"member": 1, "tag": 1, "note": 1}
    # Exactly this one: every other guild of the run was provisioned whole.
    assert [g["guild_id"] for g in report["guilds"] if g["error"]] == [broken_guild]
    assert report["failed"] == 1
    table = await cli("users", "forget", str(user), "--yes")
    assert str(broken_guild) in table.stdout and "failed" in table.stdout
    assert "guild(s) checked" in table.stdout


async def test_cli_users_forget_refuses_a_bad_user_id(cli) -> None:
    """A non-snowflake user id: exit 2 with one line."""
    result = await cli("users", "forget", "12x", "--yes")
    assert result.code == 2 and "not a Discord user id" in result.stderr
