"""``guildhall db verify`` and doctor's count of drift, run as the operator runs them.

The commands run in subprocesses on a database of this module's own (the session's guilds
carry test-only tables the CLI's models do not have), with guilds provisioned by
``guildhall tenants provision``.
"""

from __future__ import annotations

import json

import asyncpg
import pytest

from app.tenancy.scratch import scratch_database
from tests.cli.test_db import guildhall

GUILDS = [7001, 7002, 7003]


@pytest.fixture(scope="module")
async def verify_db(server_address):
    """A database with three guilds provisioned through the CLI, dropped afterwards."""
    async with scratch_database(server_address, "guildhall_verify") as address:
        done = await guildhall(address, "tenants", "provision", *map(str, GUILDS))
        assert done.code == 0, done
        yield address


@pytest.fixture
async def sabotaged(verify_db):
    """Guild 7002 gets an extra column for the test's duration."""
    conn = await asyncpg.connect(verify_db.dsn)
    try:
        await conn.execute("ALTER TABLE guild_7002.tag ADD extra int")
        yield verify_db
        await conn.execute("ALTER TABLE guild_7002.tag DROP extra")
    finally:
        await conn.close()


async def test_db_verify_on_a_clean_database_exits_0(verify_db) -> None:
    """Every guild matches its recorded version: exit 0 and one summary line."""
    done = await guildhall(verify_db, "db", "verify")
    assert done.code == 0, done
    assert "all 3 schema(s) match their recorded versions" in done.out
    assert done.err == ""


async def test_db_verify_names_the_drifted_guild_and_exits_1(sabotaged) -> None:
    """One line naming the guild and the difference; the summary on stderr; exit 1."""
    done = await guildhall(sabotaged, "db", "verify")
    assert done.code == 1, done
    assert done.out.splitlines() == ["guild 7002 (guild_7002): column tag.extra added"]
    assert "1 of 3 schema(s) drifted" in done.err


async def test_db_verify_json_lists_each_difference(sabotaged) -> None:
    """--json: the drifted guild with structured differences, for machines."""
    done = await guildhall(sabotaged, "db", "verify", "--json")
    assert done.code == 1, done
    report = json.loads(done.out)
    assert report["ok"] is False and report["checked"] == 3
    (drift,) = report["drifted"]
    assert drift["guild_id"] == 7002 and drift["schema"] == "guild_7002"
    assert [(d["kind"], d["name"], d["change"]) for d in drift["differences"]] == [
        ("column", "tag.extra", "added")
    ]


async def test_db_verify_guild_option_checks_only_that_guild(sabotaged) -> None:
    """--guild limits the check: a clean guild passes while another one drifted."""
    done = await guildhall(sabotaged, "db", "verify", "--guild", "7001", "--guild", "7003")
    assert done.code == 0, done
    assert "all 2 schema(s) match" in done.out


async def test_db_verify_bad_guild_ids_exit_2(verify_db) -> None:
    """A malformed id and an id the database does not know: one line each, exit 2."""
    malformed = await guildhall(verify_db, "db", "verify", "--guild", "abc")
    unknown = await guildhall(verify_db, "db", "verify", "--guild", "9999")
    assert malformed.code == 2 and malformed.err.count("\n") == 1, malformed
    assert unknown.code == 2, unknown
    assert "guild 9999 is not registered and has no schema guild_9999" in unknown.err


async def test_doctor_counts_drifted_schemas_and_points_to_db_verify(sabotaged) -> None:
    """doctor: an error counting the drifted schema, fixed by running `guildhall db verify`."""
    done = await guildhall(sabotaged, "doctor", "--json")
    findings = [f for f in json.loads(done.out)["findings"] if f["check"] == "schema drift"]
    assert [(f["level"], f["message"]) for f in findings] == [
        ("error", "1 of 3 schema(s) differ from what their recorded migration version should have")
    ]
    assert "guildhall db verify" in findings[0]["fix"]


async def test_db_verify_on_a_fresh_database_says_to_migrate(server_address) -> None:
    """No shared schema yet: one line naming `guildhall db migrate`, exit 1, nothing created."""
    async with scratch_database(server_address, "guildhall_verify") as address:
        done = await guildhall(address, "db", "verify")
        conn = await asyncpg.connect(address.dsn)
        try:
            schemas = await conn.fetchval(
                "SELECT count(*) FROM pg_namespace WHERE nspname ~ '^(shared|guild)'"
            )
        finally:
            await conn.close()
    assert done.code == 1, done
    assert done.err.strip() == (
        "guildhall: the shared schema is not created yet; run `guildhall db migrate`"
    )
    assert schemas == 0
