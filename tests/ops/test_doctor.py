"""``guildhall doctor``: each finding with its fix; errors fail, warnings do not."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace

import asyncpg
import pytest

from app.cli.doctor_checks import budget_finding, schema_findings, token_finding
from app.settings import load_settings
from app.tenancy.migrations.files import head_version
from app.tenancy.scratch import scratch_database

TOKEN = "MTIz.abc.def"


@pytest.fixture
async def scratch_db(tenancy):
    """An asyncpg connection to an empty database of its own, dropped afterwards."""
    server = tenancy.address
    name = f"guildhall_doctor_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server.dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await asyncpg.connect(server.with_database(name).dsn)
    try:
        yield conn
    finally:
        await conn.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def available_connections(conn: asyncpg.Connection) -> int:
    """The server's connections minus the superuser's reserved ones."""
    available: int = await conn.fetchval(
        "SELECT current_setting('max_connections')::int "
        "- current_setting('superuser_reserved_connections')::int"
    )
    return available


def _by_check(findings) -> dict:
    return {f.check: f for f in findings}


async def test_cli_doctor_on_a_healthy_database_exits_0(cli, tenancy) -> None:
    """Token set, database reachable, shared at head: exit 0, every finding in the JSON."""
    # A database of its own, migrated and healthy: the shared test database holds guilds
    # other tests leave behind on purpose, so doctor could not be expected to pass there.
    async with scratch_database(tenancy.address, "guildhall_doctor_ok") as healthy:
        migrated = await cli("db", "migrate", DATABASE_URL=healthy.dsn)
        assert migrated.code == 0, migrated.stderr
        result = await cli(
            "doctor", "--json", DATABASE_URL=healthy.dsn, DISCORD_TOKEN=TOKEN,
            TENANT_CACHE_SIZE="20",
        )  # fmt: skip
    report = json.loads(result.stdout)
    checks = {f["check"]: f for f in report["findings"]}
    assert checks["token"]["level"] == "ok"
    assert checks["database"]["level"] == "ok" and "reachable" in checks["database"]["message"]
    assert checks["server"]["message"].startswith("external PostgreSQL")
    assert checks["shared schema"]["level"] == "ok"
    assert checks["connections"]["level"] == "ok"
    assert [f for f in report["findings"] if f["level"] == "error"] == []
    assert result.code == 0 and report["ok"] is True and report["errors"] == 0


async def test_cli_doctor_reports_missing_token_and_budget_with_fixes(cli) -> None:
    """No token and a budget too big for the server: errors naming the fix; exit 1."""
    result = await cli("doctor", DB_CONNECTION_BUDGET="5000")
    assert result.code == 1
    assert "DISCORD_TOKEN is not set" in result.stdout
    assert "over budget" in result.stdout and "lower DB_CONNECTION_BUDGET" in result.stdout


async def test_cli_doctor_unreachable_database(cli) -> None:
    """A server that does not answer: one error saying what to check; exit 1."""
    result = await cli(
        "doctor",
        "--json",
        DATABASE_URL="postgresql://postgres@127.0.0.1:1/nope",
        DISCORD_TOKEN=TOKEN,
    )
    assert result.code == 1
    database = {f["check"]: f for f in json.loads(result.stdout)["findings"]}["database"]
    assert database["level"] == "error" and "cannot connect" in database["message"]
    assert "DATABASE_URL" in database["fix"]


async def test_cli_doctor_says_which_settings_files_it_read(cli, tmp_path) -> None:
    """The per-user settings file is named (a token that "vanished" in another directory)."""
    user_env = tmp_path / "xdg" / "guildhall" / ".env"
    user_env.parent.mkdir(parents=True)
    user_env.write_text("LOG_LEVEL=INFO\n")
    result = await cli(
        "doctor", "--json", DATABASE_URL="postgresql://postgres@127.0.0.1:1/nope",
        DISCORD_TOKEN=TOKEN, XDG_CONFIG_HOME=str(tmp_path / "xdg"),
    )  # fmt: skip
    settings = {f["check"]: f for f in json.loads(result.stdout)["findings"]}["settings"]
    assert settings["level"] == "info"
    assert settings["message"] == f"settings read from {user_env}"


async def test_fresh_database_needs_migrate(scratch_db) -> None:
    """No shared schema: error with `guildhall db migrate`."""
    (finding,) = await schema_findings(scratch_db)
    assert finding.level == "error" and "guildhall db migrate" in finding.fix


async def test_shared_behind_and_guilds_behind_are_errors(scratch_db) -> None:
    """Pending shared migrations and guild schemas off the head, counted in one query."""
    await scratch_db.execute(
        "CREATE SCHEMA shared;"
        "CREATE TABLE shared.aerich (version text, app text);"
        "CREATE TABLE shared.tenant (guild_id bigint, schema_name text, schema_version text);"
        "CREATE SCHEMA guild_1; CREATE SCHEMA guild_2; CREATE SCHEMA guild_3"
    )
    await scratch_db.execute(
        "INSERT INTO shared.tenant VALUES"
        " (1, 'guild_1', $1), (2, 'guild_2', 'old'), (3, 'guild_3', '')",
        head_version("tenant"),
    )
    findings = _by_check(await schema_findings(scratch_db))
    assert findings["shared schema"].level == "error"
    assert "--shared-only" in findings["shared schema"].fix
    assert findings["guild schemas"].level == "error"
    assert findings["guild schemas"].message.startswith("2 of 3 guild schema(s)")
    assert "--tenants-only" in findings["guild schemas"].fix
    await scratch_db.execute(
        "INSERT INTO shared.aerich VALUES ($1, 'shared')", head_version("shared")
    )
    await scratch_db.execute("UPDATE shared.tenant SET schema_version = $1", head_version("tenant"))
    findings = _by_check(await schema_findings(scratch_db))
    assert findings["shared schema"].level == "ok" and findings["guild schemas"].level == "ok"


async def test_connection_budget_levels(tenancy) -> None:
    """Fits: ok; over 80 % of the server's connections: warning; over: error with a size."""
    conn = await asyncpg.connect(tenancy.address.dsn)
    try:
        available = await available_connections(conn)
        fits = await budget_finding(conn, load_settings(db_connection_budget=12))
        tight = await budget_finding(conn, load_settings(db_connection_budget=available - 1))
        over = await budget_finding(conn, load_settings(db_connection_budget=available + 1))
    finally:
        await conn.close()
    assert fits.level == "ok" and "12 connections per bot process" in fits.message
    assert tight.level == "warning"
    assert over.level == "error"
    assert f"lower DB_CONNECTION_BUDGET to {available} or less" in over.fix


async def test_connection_budget_counts_the_database_connection_limit(tenancy) -> None:
    """A database CONNECTION LIMIT below the budget is an error for a non-superuser login."""
    role = database = f"{tenancy.address.database}_limited"
    admin = await asyncpg.connect(tenancy.address.dsn)
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        await admin.execute(f'CREATE DATABASE "{database}" CONNECTION LIMIT 20')
        limited = await asyncpg.connect(replace(tenancy.address, user=role, database=database).dsn)
        try:
            over = await budget_finding(limited, load_settings(db_connection_budget=40))
            fits = await budget_finding(limited, load_settings(db_connection_budget=12))
        finally:
            await limited.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
    assert over.level == "error" and "database CONNECTION LIMIT 20" in over.message
    assert "lower DB_CONNECTION_BUDGET to 20 or less" in over.fix
    assert fits.level == "ok"


async def test_doctor_budgets_connections_for_every_process(tenancy) -> None:
    """A budget that fits one process is over for three; the fix sizes it for three."""
    conn = await asyncpg.connect(tenancy.address.dsn)
    try:
        available = await available_connections(conn)
        budget = available // 2
        one = await budget_finding(conn, load_settings(db_connection_budget=budget))
        three = await budget_finding(
            conn, load_settings(db_connection_budget=budget, process_count=3)
        )
    finally:
        await conn.close()
    assert one.level == "ok", one
    assert three.level == "error", three
    assert f"x 3 processes (PROCESS_COUNT) = {3 * budget}" in three.message
    assert f"lower DB_CONNECTION_BUDGET to {available // 3} or less" in three.fix


def test_token_shapes() -> None:
    """Missing token: error; not three dot-separated parts: warning; else ok."""
    assert token_finding(load_settings(discord_token=None)).level == "error"
    assert token_finding(load_settings(discord_token="nodots")).level == "warning"
    assert token_finding(load_settings(discord_token=TOKEN)).level == "ok"


async def test_registered_guild_without_schema_is_a_warning(scratch_db) -> None:
    """A registry row whose schema is gone: a warning naming `tenants provision`."""
    await scratch_db.execute(
        "CREATE SCHEMA shared;"
        "CREATE TABLE shared.aerich (version text, app text);"
        "CREATE TABLE shared.tenant (guild_id bigint, schema_name text, schema_version text)"
    )
    await scratch_db.execute(
        "INSERT INTO shared.aerich VALUES ($1, 'shared')", head_version("shared")
    )
    await scratch_db.execute(
        "INSERT INTO shared.tenant VALUES (7, 'guild_7', $1)", head_version("tenant")
    )
    warnings = [f for f in await schema_findings(scratch_db) if f.level == "warning"]
    assert [f.message for f in warnings] == ["1 registered guild(s) have no schema"]
    assert "guildhall tenants provision" in warnings[0].fix
