"""The fleet runner: behind schemas only, atomic per schema, registry in sync, crash-safe.

Each test writes its own migration into a copy of the migrations folder (never aerich/) and
migrates only the guilds it provisioned, so other tests' guilds are never touched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from tortoise import connections

from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.migrations.applier import upgrade_schema
from app.tenancy.migrations.files import head_version, list_migrations, migrations_root
from app.tenancy.migrations.fleet import APPLICATION_NAME, MigrateOptions, migrate_all

TEMPLATE = '''from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        {sql}"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


'''


def migrations_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped migrations folder."""
    root = tmp_path / "migrations"
    shutil.copytree(migrations_root(), root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def add_migration(root: Path, app: str, name: str, sql: str) -> str:
    """Append a hand-written migration to ``root/app``; returns its version."""
    newest = list_migrations(app, root)[-1]
    text = newest.path.read_text()
    version = f"{newest.number + 1}_20990101000000_{name}.py"
    (root / app / version).write_text(TEMPLATE.format(sql=sql) + text[text.index("MODELS_STATE") :])
    return version


async def fetch(database, sql: str, *args):
    """Rows of one query on a connection of its own."""
    conn = await asyncpg.connect(database.dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def registry_version(database, guild_id: int) -> str:
    """The registry's schema_version of a guild."""
    rows = await fetch(
        database, "SELECT schema_version FROM shared.tenant WHERE guild_id = $1", guild_id
    )
    return rows[0]["schema_version"]


def shipped_versions() -> set[str]:
    """Every shipped tenant migration: what a schema at the shipped head has applied."""
    return {m.version for m in list_migrations("tenant")}


async def aerich_versions(database, guild_id: int) -> set[str]:
    """The versions the guild schema's own aerich table records."""
    rows = await fetch(database, f'SELECT version FROM "guild_{guild_id}"."aerich"')
    return {r["version"] for r in rows}


async def has_column(database, guild_id: int, table: str, column: str) -> bool:
    """Whether the guild's table has the column."""
    rows = await fetch(
        database,
        "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 "
        "AND NOT attisdropped",
        f'"guild_{guild_id}"."{table}"',
        column,
    )
    return bool(rows)


async def test_migrate_all_brings_behind_guilds_to_head_and_keeps_registry_in_sync(
    tenancy, provisioned, database, tmp_path
) -> None:
    """Every behind guild gets the column, the aerich row and the registry version; a re-run
    finds nothing behind."""
    guilds = [await provisioned() for _ in range(5)]
    root = migrations_copy(tmp_path)
    version = add_migration(root, "tenant", "add_nick", 'ALTER TABLE "member" ADD "nick" TEXT')
    options = MigrateOptions(shared=False, guild_ids=guilds, root=root)

    report = await migrate_all(database, options)

    assert report.ok and [r.guild_id for r in report.guilds] == sorted(guilds)
    assert {r.status for r in report.guilds} == {"migrated"}
    assert all(r.applied == [version] and r.after == version for r in report.guilds)
    for guild_id in guilds:
        assert await has_column(database, guild_id, "member", "nick")
        assert version in await aerich_versions(database, guild_id)
        assert await registry_version(database, guild_id) == version
    again = await migrate_all(database, options)
    assert again.ok and again.guilds == []


async def test_failing_schema_stays_at_its_version_while_its_batch_goes_on(
    tenancy, provisioned, database, tmp_path
) -> None:
    """Data in one guild breaks the migration: that schema is untouched (savepoint), the
    guilds in the same transaction and the rest are migrated."""
    guilds = [await provisioned() for _ in range(9)]
    bad = guilds[4]  # 9 guilds, 1 job: batches of 3, so bad shares a transaction
    conn = await asyncpg.connect(database.dsn)
    try:
        await conn.execute(
            f'INSERT INTO "guild_{bad}".tag (name, name_key, content, author_id, uses, '
            "created_at, updated_at) VALUES ('x', 'x', 'y', 1, 5000, now(), now())"
        )
    finally:
        await conn.close()
    root = migrations_copy(tmp_path)
    before = head_version("tenant", root)
    version = add_migration(
        root,
        "tenant",
        "cap_uses",
        'ALTER TABLE "member" ADD "capped" BOOL;\n'
        'ALTER TABLE "tag" ADD CONSTRAINT "tag_uses_cap" CHECK ("uses" < 1000)',
    )

    report = await migrate_all(
        database, MigrateOptions(shared=False, guild_ids=guilds, jobs=1, root=root)
    )

    assert [r.guild_id for r in report.failed] == [bad]
    failure = report.failed[0]
    assert "tag_uses_cap" in failure.error and failure.after == before
    assert not await has_column(database, bad, "member", "capped")
    assert await aerich_versions(database, bad) == shipped_versions()
    assert await registry_version(database, bad) == before
    for guild_id in guilds:
        if guild_id != bad:
            assert await has_column(database, guild_id, "member", "capped")
            assert await registry_version(database, guild_id) == version


async def test_stale_registry_is_corrected_without_reapplying(
    tenancy, provisioned, database, tmp_path
) -> None:
    """A registry version behind the schema's real state: nothing is re-applied (the guard
    notices), the registry is set right ("current")."""
    guild_id = await provisioned()
    root = migrations_copy(tmp_path)
    version = add_migration(root, "tenant", "add_stale", 'ALTER TABLE "note" ADD "stale" INT')
    options = MigrateOptions(shared=False, guild_ids=[guild_id], root=root)
    assert (await migrate_all(database, options)).count("migrated") == 1
    for stale in (head_version("tenant"), ""):
        await connections.get(SHARED_ALIAS).execute_query(
            "UPDATE shared.tenant SET schema_version = $1 WHERE guild_id = $2", [stale, guild_id]
        )
        report = await migrate_all(database, options)
        assert report.ok and [r.status for r in report.guilds] == ["current"]
        assert await registry_version(database, guild_id) == version


async def test_two_runners_at_once_migrate_each_schema_exactly_once(
    tenancy, provisioned, database, tmp_path
) -> None:
    """Concurrent runs serialise per schema: no failure, each schema migrated once."""
    guilds = [await provisioned() for _ in range(8)]
    root = migrations_copy(tmp_path)
    add_migration(root, "tenant", "add_twice", 'ALTER TABLE "member" ADD "twice" INT')
    options = MigrateOptions(shared=False, guild_ids=guilds, jobs=2, root=root)

    first, second = await asyncio.gather(
        migrate_all(database, options), migrate_all(database, options)
    )

    assert first.ok and second.ok
    migrated = [r.guild_id for r in first.guilds + second.guilds if r.status == "migrated"]
    assert sorted(migrated) == sorted(guilds)


async def test_missing_schema_and_unknown_version_are_skipped_with_a_fix(
    tenancy, provisioned, database, tmp_path
) -> None:
    """A registry row without its schema, or an unregistered guild, is skipped with its fix; a
    guild at a newer release's version is counted once as newer; the run is not ok."""
    gone, ahead, unregistered = await provisioned(), await provisioned(), 10**18 + 7
    shared = connections.get(SHARED_ALIAS)
    await shared.execute_script(f'DROP SCHEMA "guild_{gone}" CASCADE')
    await shared.execute_query(
        "UPDATE shared.tenant SET schema_version = '9_20990101000000_future.py' "
        "WHERE guild_id = $1",
        [ahead],
    )
    root = migrations_copy(tmp_path)
    add_migration(root, "tenant", "add_skip", 'ALTER TABLE "member" ADD "skip" INT')

    try:
        report = await migrate_all(
            database, MigrateOptions(shared=False, guild_ids=[gone, ahead, unregistered], root=root)
        )
    finally:  # the database is shared with other tests: a 'newer' guild must not outlive this
        await shared.execute_query(
            "UPDATE shared.tenant SET schema_version = $1 WHERE guild_id = $2",
            [head_version("tenant"), ahead],
        )

    assert not report.ok  # skipped guilds and a newer one: the command exits 1
    by_guild = {r.guild_id: r for r in report.guilds}
    assert set(by_guild) == {gone, unregistered}
    assert {r.status for r in by_guild.values()} == {"skipped"}
    assert f"guildhall tenants provision {gone}" in by_guild[gone].error
    assert "not registered" in by_guild[unregistered].error
    assert report.newer_guilds == {"9_20990101000000_future.py": 1}


async def test_upgrade_schema_updates_the_registry_in_the_same_transaction(
    tenancy, provisioned, database, tmp_path
) -> None:
    """The single-schema (Tortoise) path keeps schema_version in sync too."""
    guild_id = await provisioned()
    root = migrations_copy(tmp_path)
    version = add_migration(root, "tenant", "add_single", 'ALTER TABLE "tag" ADD "single" INT')
    applied = await upgrade_schema(SHARED_ALIAS, f"guild_{guild_id}", "tenant", root=root)
    assert applied == [version]
    assert await registry_version(database, guild_id) == version


async def _wait_for(predicate, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_rerun_after_kill_9_touches_only_the_schemas_still_behind(
    tenancy, provisioned, database, tmp_path
) -> None:
    """``kill -9`` mid-run: committed schemas are at the head, the one in flight and the rest
    are untouched; a re-run migrates exactly those."""
    guilds = sorted([await provisioned() for _ in range(6)])
    root = migrations_copy(tmp_path)
    before = head_version("tenant", root)
    version = add_migration(root, "tenant", "add_crash", 'ALTER TABLE "member" ADD "crash" INT')
    blocker = await asyncpg.connect(database.dsn)
    tx = blocker.transaction()
    await tx.start()
    # The runner goes guild by guild (1 job, 1 per batch) and blocks on the 4th.
    await blocker.execute(f'LOCK TABLE "guild_{guilds[3]}".member IN ACCESS EXCLUSIVE MODE')
    env = dict(os.environ, DATABASE_URL=database.dsn)
    args = ["--guild=" + str(g) for g in guilds]
    command = [sys.executable, "-m", "app", "db", "migrate", "--tenants-only", "--jobs=1"]
    command += ["--batch=1", "--lock-timeout=120", f"--migrations={root}", "--json", *args]
    process = subprocess.Popen(  # noqa: ASYNC220, S603 (our own CLI, fixed arguments)
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:

        async def runner_waits_on_the_lock() -> bool:
            rows = await fetch(
                database,
                "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 "
                "AND wait_event_type = 'Lock' AND datname = current_database()",
                APPLICATION_NAME,
            )
            assert process.poll() is None, process.communicate()
            return bool(rows)

        await _wait_for(runner_waits_on_the_lock)
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        await tx.rollback()
        await blocker.close()
        if process.poll() is None:
            process.kill()

    async def runner_gone() -> bool:
        rows = await fetch(
            database,
            "SELECT 1 FROM pg_stat_activity WHERE application_name = $1"
            " AND datname = current_database()",
            APPLICATION_NAME,
        )
        return not rows

    await _wait_for(runner_gone)
    for guild_id in guilds[:3]:
        assert await registry_version(database, guild_id) == version
        assert await has_column(database, guild_id, "member", "crash")
    for guild_id in guilds[3:]:
        assert await registry_version(database, guild_id) == before
        assert await aerich_versions(database, guild_id) == shipped_versions()
        assert not await has_column(database, guild_id, "member", "crash")

    report = await migrate_all(database, MigrateOptions(shared=False, guild_ids=guilds, root=root))

    assert report.ok and [r.guild_id for r in report.guilds] == guilds[3:]
    assert {r.status for r in report.guilds} == {"migrated"}


@pytest.mark.parametrize("jobs", [1, 3])
async def test_progress_observer_hears_every_planned_schema(
    tenancy, provisioned, database, tmp_path, jobs
) -> None:
    """The observer gets the total first, then one final result per schema."""
    guilds = [await provisioned() for _ in range(4)]
    root = migrations_copy(tmp_path)
    add_migration(root, "tenant", f"add_seen{jobs}", f'ALTER TABLE "member" ADD "seen{jobs}" INT')
    heard: list[object] = []

    class Observer:
        def planned(self, total: int) -> None:
            heard.append(total)

        def done(self, result) -> None:
            heard.append(result.guild_id)

    await migrate_all(
        database, MigrateOptions(shared=False, guild_ids=guilds, jobs=jobs, root=root), Observer()
    )
    assert heard[0] == 4 and sorted(heard[1:]) == sorted(guilds)


async def test_a_busy_schema_does_not_hold_up_its_batch_and_is_retried_alone(
    tenancy, provisioned, database, tmp_path
) -> None:
    """A guild whose table the bot holds gives up quickly inside its batch (so the others
    commit), then is retried alone with the full lock timeout."""
    guilds = sorted([await provisioned() for _ in range(6)])
    busy = guilds[1]  # 6 guilds, 1 job: batches of 2, busy shares one with guilds[0]
    root = migrations_copy(tmp_path)
    version = add_migration(root, "tenant", "add_busy", 'ALTER TABLE "member" ADD "busy" INT')
    blocker = await asyncpg.connect(database.dsn)
    tx = blocker.transaction()
    await tx.start()
    await blocker.execute(f'LOCK TABLE "guild_{busy}".member IN ACCESS EXCLUSIVE MODE')
    options = MigrateOptions(
        shared=False, guild_ids=guilds, jobs=1, lock_timeout_ms=60_000, root=root
    )
    run = asyncio.create_task(migrate_all(database, options))
    try:

        async def the_others_are_done() -> bool:
            others = [g for g in guilds if g != busy]
            return all([await registry_version(database, g) == version for g in others])

        await _wait_for(the_others_are_done)
        assert not run.done()
    finally:
        await tx.rollback()
        await blocker.close()
    report = await run
    assert report.ok and {r.status for r in report.guilds} == {"migrated"}
    assert await registry_version(database, busy) == version


async def test_a_failing_shared_migration_stops_the_run_before_any_guild(
    tenancy, provisioned, database, tmp_path
) -> None:
    """Shared first: if it fails (rolled back), no guild schema is touched."""
    guild_id = await provisioned()
    root = migrations_copy(tmp_path)
    add_migration(root, "shared", "broken", 'ALTER TABLE "user" ADD "w" INT;\nSELECT 1/0')
    add_migration(root, "tenant", "add_never", 'ALTER TABLE "member" ADD "never" INT')

    report = await migrate_all(database, MigrateOptions(guild_ids=[guild_id], root=root))

    assert not report.ok and report.shared is not None and report.shared.status == "failed"
    assert "division by zero" in (report.shared.error or "")
    assert not report.tenants and report.guilds == []
    assert not await has_column(database, guild_id, "member", "never")
    rows = await fetch(
        database,
        "SELECT 1 FROM pg_attribute WHERE attrelid = 'shared.user'::regclass AND attname = 'w'",
    )
    assert rows == []
