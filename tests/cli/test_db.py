"""``guildhall db migrate | status | makemigrations``, run as the operator runs them.

Each command runs in a subprocess (the CLI starts its own event loop and, for
makemigrations, its own Tortoise) against this test run's database, on a private copy of the
migrations folder, and only on guilds the test provisioned.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from app.tenancy.migrations.files import head_version, list_migrations, models_state
from app.tenancy.migrations.fleet import MigrateOptions, migrate_all
from app.tenancy.migrations.make import MakeMigrationError, make_migration
from tests.tenancy.test_migrate_all import add_migration, has_column, migrations_copy

MODELS = Path(__file__).resolve().parents[2] / "app" / "models" / "tenant.py"


@dataclass
class Done:
    """A finished command."""

    code: int
    out: str
    err: str


async def guildhall(database, *args: str, pythonpath: Path | None = None) -> Done:
    """Run ``python -m app <args>`` against the test database."""
    env = dict(os.environ, DATABASE_URL=database.dsn, COLUMNS="200")
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return Done(process.returncode, out.decode(), err.decode())


def guild_args(guilds: list[int]) -> list[str]:
    """``--guild`` options for each guild."""
    return [f"--guild={g}" for g in guilds]


async def test_db_migrate_exits_1_naming_the_failed_guild_and_its_error(
    tenancy, provisioned, database, tmp_path
) -> None:
    """One guild's data breaks the migration: exit 1, that guild and the error named, the
    others migrated."""
    guilds = [await provisioned() for _ in range(3)]
    bad = guilds[1]
    conn = await asyncpg.connect(database.dsn)
    try:
        await conn.execute(f'INSERT INTO "guild_{bad}".member (user_id) VALUES (1), (2)')
    finally:
        await conn.close()
    root = migrations_copy(tmp_path)
    add_migration(
        root, "tenant", "one_member", 'CREATE UNIQUE INDEX "member_one" ON "member" ((true))'
    )

    done = await guildhall(database, "db", "migrate", f"--migrations={root}", *guild_args(guilds))

    assert done.code == 1, done
    assert f"FAILED guild {bad} (guild_{bad})" in done.err
    assert "could not create unique index" in done.err
    assert "2 migrated" in done.out and "1 failed" in done.out
    assert "shared: up to date" in done.out


async def test_db_migrate_json_lists_each_guild_and_a_summary(
    tenancy, provisioned, database, tmp_path
) -> None:
    """--json: per-guild results and counts for machines; a second run has nothing to do."""
    guilds = sorted([await provisioned() for _ in range(3)])
    root = migrations_copy(tmp_path)
    version = add_migration(root, "tenant", "add_json", 'ALTER TABLE "member" ADD "j" INT')
    args = ["db", "migrate", "--json", "--jobs=3", f"--migrations={root}", *guild_args(guilds)]

    done = await guildhall(database, *args)

    assert done.code == 0, done
    report = json.loads(done.out)
    assert report["ok"] and report["shared"]["status"] == "current"
    assert [g["guild_id"] for g in report["guilds"]] == guilds
    assert {(g["status"], g["to"]) for g in report["guilds"]} == {("migrated", version)}
    summary = report["summary"]
    assert summary["migrated"] == 3 and summary["failed"] == 0 and summary["tenant_head"] == version
    again = json.loads((await guildhall(database, *args)).out)
    assert again["guilds"] == [] and again["summary"]["behind"] == 0


async def test_db_migrate_refuses_shared_only_with_tenants_only(database) -> None:
    """Contradictory options: exit 2 with one line."""
    done = await guildhall(database, "db", "migrate", "--shared-only", "--tenants-only")
    assert done.code == 2 and "exclude each other" in done.err


async def test_db_status_shows_guilds_per_version(tenancy, provisioned, database, tmp_path) -> None:
    """status --json counts guilds at each version; --check exits 1 while any is behind."""
    guilds = [await provisioned() for _ in range(3)]  # the third stays behind
    root = migrations_copy(tmp_path)
    version = add_migration(root, "tenant", "add_status", 'ALTER TABLE "member" ADD "s" INT')
    await migrate_all(database, MigrateOptions(shared=False, guild_ids=guilds[:2], root=root))

    done = await guildhall(database, "db", "status", "--json", f"--migrations={root}")
    text = await guildhall(database, "db", "status", "--check", f"--migrations={root}")

    assert done.code == 0, done
    status = json.loads(done.out)
    assert status["shared"]["version"] == head_version("shared") == status["shared"]["head"]
    assert {"version": version, "guilds": 2, "behind_by": 0} in status["tenants"]["versions"]
    assert text.code == 1 and version in text.out and "behind by 1" in text.out


def _changed_models(tmp_path: Path) -> Path:
    """A copy of the tenant models with one more column on Member (app/models is untouched)."""
    folder = tmp_path / "models"
    folder.mkdir()
    source = MODELS.read_text()
    anchor = "    joined_at = fields.DatetimeField(null=True)\n"
    assert anchor in source
    added = "    nickname = fields.CharField(max_length=32, null=True, db_index=True)\n"
    (folder / "changed_tenant_models.py").write_text(source.replace(anchor, anchor + added, 1))
    return folder


async def test_db_makemigrations_writes_a_migration_for_a_model_change(
    tenancy, provisioned, database, tmp_path
) -> None:
    """A new field gives ``<next number>_<timestamp>_add_nickname.py`` with the ALTER and the
    new models state; it applies to a guild; no scratch schema is left; a second run writes
    nothing."""
    root = migrations_copy(tmp_path)
    shipped = len(list_migrations("tenant", root))
    models = _changed_models(tmp_path)
    args = ["db", "makemigrations", "tenant", "--name=add_nickname", f"--migrations={root}"]
    args.append("--models=changed_tenant_models")

    done = await guildhall(database, *args, pythonpath=models)

    assert done.code == 0, done
    new = list_migrations("tenant", root)[-1]
    assert new.number == shipped and new.version.endswith("_add_nickname.py")
    assert f"wrote {new.path}" in done.out
    sql = new.path.read_text()
    assert 'ALTER TABLE "member" ADD "nickname" VARCHAR(32)' in sql
    assert 'CREATE INDEX IF NOT EXISTS "idx_member_nicknam' in sql
    member = models_state(new.path)["tenant.Member"]
    assert "nickname" in {f["name"] for f in member["data_fields"]}
    conn = await asyncpg.connect(database.dsn)
    try:
        left = await conn.fetch(
            "SELECT 1 FROM pg_namespace WHERE nspname LIKE 'guildhall_scratch%'"
        )
    finally:
        await conn.close()
    assert left == []

    guild_id = await provisioned()
    report = await migrate_all(
        database, MigrateOptions(shared=False, guild_ids=[guild_id], root=root)
    )
    assert report.ok and report.guilds[0].applied == [new.version]
    assert await has_column(database, guild_id, "member", "nickname")

    again = await guildhall(database, *args, pythonpath=models)
    assert again.code == 0 and "no changes" in again.out
    assert list_migrations("tenant", root)[-1] == new


async def test_db_makemigrations_without_changes_writes_nothing(database, tmp_path) -> None:
    """The shipped models match the shipped migrations of both apps (and no drift)."""
    root = migrations_copy(tmp_path)
    shipped = [m.number for m in list_migrations("tenant", root)]
    for app in ("shared", "tenant"):
        done = await guildhall(
            database, "db", "makemigrations", app, "--name=nothing", f"--migrations={root}"
        )
        assert done.code == 0, done
        assert "no changes" in done.out and "drift" not in done.err
    assert [m.number for m in list_migrations("tenant", root)] == shipped


async def test_make_migration_refuses_a_process_with_tortoise_running(tenancy, database) -> None:
    """aerich would diff the running app's models and clobber its connections."""
    with pytest.raises(MakeMigrationError, match="process of its own"):
        await make_migration(database, "tenant", "nope")
