"""Every piece of DDL Guildhall sends is one statement per call, as Citus requires.

Citus forwards the raw text of a DDL command to its workers through the extended query
protocol, which refuses a text holding several commands ("cannot insert multiple commands into
a prepared statement"). These tests reproduce that on plain PostgreSQL: they run the real code
on a connection that sends every argument-less ``execute`` through the extended protocol too,
so PostgreSQL itself refuses any multi-statement script, and they record (asyncpg's query
logger) what was sent.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.tenancy.connections.config import TENANT_APP
from app.tenancy.migrations import fleet
from app.tenancy.migrations.ddl import split_statements
from app.tenancy.migrations.files import list_migrations, upgrade_sql
from app.tenancy.migrations.fleet import MigrateOptions, migrate_all
from app.tenancy.migrations.make import _replay
from app.tenancy.migrations.role_pass import give_roles
from app.tenancy.naming import database_tag, role_for, scratch_schema
from app.tenancy.schemas.builder import build_schema
from app.tenancy.schemas.provisioning import _rename_spare
from app.tenancy.schemas.roles import create_role
from app.tenancy.schemas.spares import _build_spare
from tests.tenancy.test_migrate_all import add_migration, migrations_copy


class OneStatementOnly(asyncpg.Connection):  # type: ignore[misc]
    """A connection that refuses a script of several statements, like a Citus worker.

    An ``execute`` without arguments normally uses the simple query protocol, which accepts
    scripts; here it goes through the extended protocol (a prepared statement), which does not.
    """

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109
        if args:
            return await super().execute(query, *args, timeout=timeout)
        await self.fetch(query, timeout=timeout)
        return ""


@contextlib.asynccontextmanager
async def recording(dsn: str) -> AsyncIterator[tuple[asyncpg.Connection, list[str]]]:
    """A :class:`OneStatementOnly` connection and the list of every query sent on it."""
    conn = await asyncpg.connect(dsn, connection_class=OneStatementOnly, statement_cache_size=0)
    sent: list[str] = []
    conn.add_query_logger(lambda record: sent.append(record.query))
    try:
        yield conn, sent
    finally:
        await conn.close()


async def test_a_connection_refusing_scripts_refuses_them(database) -> None:
    """The check itself: a two-statement script fails with Citus's error on plain PostgreSQL."""
    async with recording(database.dsn) as (conn, sent):
        with pytest.raises(asyncpg.PostgresSyntaxError, match="multiple commands"):
            await conn.execute("SELECT 1; SELECT 2")
        assert await conn.execute("SELECT 1") == ""
    assert sent == ["SELECT 1; SELECT 2", "SELECT 1"]


def test_split_keeps_quotes_dollar_quotes_and_comments_whole() -> None:
    """Semicolons inside literals, dollar quotes and comments do not split a statement."""
    script = (
        "COMMENT ON TABLE \"tag\" IS 'names; unique';\n"
        "DO $x$ BEGIN PERFORM 1; END $x$;\n-- a comment; with a semicolon\n"
        'CREATE INDEX "i" ON "tag" ("name");\n-- trailing comment only\n'
    )
    assert split_statements(script) == (
        "COMMENT ON TABLE \"tag\" IS 'names; unique';",
        "DO $x$ BEGIN PERFORM 1; END $x$;",
        '-- a comment; with a semicolon\nCREATE INDEX "i" ON "tag" ("name");',
    )
    assert split_statements("SELECT 1") == ("SELECT 1",)


async def test_building_a_schema_and_claiming_a_spare_send_one_statement_per_call(
    tenancy, database
) -> None:
    """Provisioning's build (role, schema, tables and aerich rows, owned by the role) and a spare's
    rename, on a connection that refuses scripts; nothing is kept (rolled back)."""
    tag = database_tag(database.database)
    async with recording(database.dsn) as (conn, sent):
        tx = conn.transaction()
        await tx.start()
        try:
            spare = await _build_spare(conn, tenancy.tenant_ddl, tag)
            await _rename_spare(conn, spare, tag, "guild_1", role_for(tag, 1))
            schema, role = scratch_schema(), role_for(tag, 2)
            await create_role(conn, role)
            await build_schema(conn, schema, role, tenancy.tenant_ddl)
            owners = await conn.fetch(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1", schema
            )
        finally:
            await tx.rollback()
    assert [row["tableowner"] for row in owners] == [role]
    # Each statement of the tenant DDL went out as a call of its own, for the spare and again
    # for the schema built directly.
    for statement in split_statements(tenancy.tenant_ddl):
        assert sent.count(statement) == 2, statement
    assert any(q.startswith("ALTER SCHEMA") for q in sent)


async def test_the_role_pass_sends_one_statement_per_call(database) -> None:
    """``db migrate`` giving an old guild schema (no role yet) its role."""
    guild_id = 9 * 10**17 + secrets.randbelow(10**9)
    schema, tag = f"guild_{guild_id}", database_tag(database.database)
    admin = await asyncpg.connect(database.dsn)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        await admin.execute(f'CREATE TABLE "{schema}"."t" (id bigserial PRIMARY KEY)')
        async with recording(database.dsn) as (conn, sent):
            report = await give_roles(conn, database.database)
        role = role_for(tag, guild_id)
        assert guild_id in report.given and not report.failed
        owner = await admin.fetchval(
            "SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 't'", schema
        )
        assert owner == role
        assert any(q.startswith("DO $$") for q in sent)
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.execute(f'DROP ROLE IF EXISTS "{role_for(tag, guild_id)}"')
        await admin.close()


async def test_a_two_statement_migration_runs_on_a_connection_refusing_scripts(
    tenancy, provisioned, database, tmp_path: Path, monkeypatch
) -> None:
    """``db migrate`` of a migration with an index and a constraint: each its own call, the
    guard a DO block (no helper function in ``pg_temp``, which a Citus worker lacks)."""
    guild_id = await provisioned()
    root = migrations_copy(tmp_path)
    version = add_migration(
        root,
        "tenant",
        "two_statements",
        'ALTER TABLE "tag" ADD "rank" INT NOT NULL DEFAULT 0;\n'
        'CREATE INDEX "idx_tag_rank" ON "tag" ("rank");\n'
        'ALTER TABLE "tag" ADD CONSTRAINT "tag_rank_positive" CHECK ("rank" >= 0);',
    )
    sent: list[str] = []

    async def connect(address: Any) -> asyncpg.Connection:
        conn = await asyncpg.connect(address.dsn, connection_class=OneStatementOnly)
        conn.add_query_logger(lambda record: sent.append(record.query))
        return conn

    monkeypatch.setattr(fleet, "_connect", connect)
    report = await migrate_all(database, MigrateOptions(guild_ids=[guild_id], root=root))
    assert [(g.guild_id, g.status, g.after) for g in report.guilds] == [
        (guild_id, "migrated", version)
    ]
    assert any(q.startswith('CREATE INDEX "idx_tag_rank"') for q in sent)
    assert not any("pg_temp" in q for q in sent)


async def test_the_makemigrations_replay_runs_on_a_connection_refusing_scripts(database) -> None:
    """Every shipped tenant migration replays into an empty schema one statement at a time."""
    schema = scratch_schema()
    async with recording(database.dsn) as (conn, sent):
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            await _replay(conn, schema, TENANT_APP, list_migrations(TENANT_APP))
            versions = await conn.fetch(f'SELECT version FROM "{schema}"."aerich"')
        finally:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    assert {row["version"] for row in versions} == {m.version for m in list_migrations("tenant")}
    for migration in list_migrations(TENANT_APP):
        for statement in split_statements(await upgrade_sql(migration)):
            assert statement in sent, statement
