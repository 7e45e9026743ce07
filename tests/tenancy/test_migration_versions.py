"""Versions at a glance: shared, guild schemas per version, and the start-up warning."""

from __future__ import annotations

import logging
import secrets

import asyncpg

from app.tenancy.migrations.files import head_version
from app.tenancy.migrations.fleet import MigrateOptions, migrate_all, migrate_shared_schema
from app.tenancy.migrations.versions import (
    asyncpg_fetch,
    migration_status,
    report_pending_migrations,
)
from app.tenancy.scratch import scratch_database
from tests.reliability.processes import cli_env, guildhall
from tests.tenancy.test_migrate_all import add_migration, migrations_copy


async def test_status_counts_guilds_per_version_from_the_registry(database, tmp_path) -> None:
    """Migrated guilds are counted at the new head, the others behind by one (exactly: the
    guilds are the only ones of a database of their own)."""
    guilds = [str(7 * 10**17 + n) for n in range(3)]
    async with scratch_database(database, "guildhall_versions") as own:
        code, lines = await guildhall(["tenants", "provision", *guilds], cli_env(own), tmp_path)
        assert code == 0, lines
        root = migrations_copy(tmp_path)
        version = add_migration(
            root, "tenant", "add_counted", 'ALTER TABLE "tag" ADD "counted" INT'
        )
        ids = [int(g) for g in guilds[:2]]
        await migrate_all(own, MigrateOptions(shared=False, guild_ids=ids, root=root))
        conn = await asyncpg.connect(own.dsn)
        try:
            status = await migration_status(asyncpg_fetch(conn), root=root)
        finally:
            await conn.close()
    assert status.tenant_head == version
    assert status.tenant_versions == {version: 2, head_version("tenant"): 1}
    assert status.behind_by(head_version("tenant")) == 1
    assert status.guilds == 3 and status.guilds_behind == 1 and not status.up_to_date
    assert not status.shared_pending and status.shared_version == head_version("shared")
    data = status.to_json()
    assert data["tenants"]["head"] == version
    assert {"version": version, "guilds": 2, "behind_by": 0} in data["tenants"]["versions"]


async def test_report_pending_migrations_warns_about_shared_and_guilds(
    tenancy, provisioned, tmp_path, caplog
) -> None:
    """The bot's start-up check names what is behind and the command that fixes it."""
    await provisioned()
    root = migrations_copy(tmp_path)
    add_migration(root, "tenant", "add_warned", 'ALTER TABLE "tag" ADD "warned" INT')
    shared_version = add_migration(root, "shared", "add_col", 'ALTER TABLE "user" ADD "w" INT')
    log = logging.getLogger("test.versions")
    with caplog.at_level(logging.INFO, logger="test.versions"):
        status = await report_pending_migrations(log, root=root)
    assert status is not None and status.shared_pending == [shared_version]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("shared schema is behind" in w and shared_version in w for w in warnings)
    assert any("guild schemas are behind" in w and "guildhall db migrate" in w for w in warnings)


async def test_fresh_database_is_up_to_date_after_shared_migration(database) -> None:
    """No guild yet, shared at its head: nothing to report."""
    name = f"guildhall_test_versions_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(database.dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        conn = await asyncpg.connect(database.with_database(name).dsn)
        try:
            before = await migration_status(asyncpg_fetch(conn))
            assert before.shared_pending and not before.up_to_date
            assert (await migrate_shared_schema(conn)).status == "migrated"
            after = await migration_status(asyncpg_fetch(conn))
            assert after.up_to_date and after.guilds == 0
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_migrate_all_creates_and_then_migrates_the_shared_schema(database, tmp_path) -> None:
    """A fresh database gets the shared schema; a new shared migration is then applied once."""
    name = f"guildhall_test_shared_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(database.dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        address = database.with_database(name)
        root = migrations_copy(tmp_path)
        first = await migrate_all(address, MigrateOptions(root=root))
        assert first.ok and first.shared is not None and first.shared.status == "migrated"
        version = add_migration(root, "shared", "add_w", 'ALTER TABLE "user" ADD "w" INT')
        second = await migrate_all(address, MigrateOptions(root=root))
        assert second.shared is not None and second.shared.applied == [version]
        third = await migrate_all(address, MigrateOptions(root=root))
        assert third.shared is not None and third.shared.status == "current"
        conn = await asyncpg.connect(address.dsn)
        try:
            status = await migration_status(asyncpg_fetch(conn), root=root)
        finally:
            await conn.close()
        assert status.up_to_date and status.shared_version == version
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
