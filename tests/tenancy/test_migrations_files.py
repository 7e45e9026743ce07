"""Migration files the runner refuses, and the plan/script it builds (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.tenancy import InvalidGuildId
from app.tenancy.migrations.applier import expected_applied, plan_schema, upgrade_statements
from app.tenancy.migrations.files import MigrationFileError, list_migrations, upgrade_sql
from app.tenancy.naming import quote_any_schema
from tests.tenancy.test_migrate_all import add_migration, migrations_copy


def test_two_files_with_one_number_are_refused(tmp_path: Path) -> None:
    """aerich's order between two files numbered alike would be arbitrary."""
    root = migrations_copy(tmp_path)
    add_migration(root, "tenant", "one", "SELECT 1")
    (root / "tenant" / "1_20990101000001_other.py").write_text("")
    with pytest.raises(MigrationFileError, match="numbered 1"):
        list_migrations("tenant", root)


def test_a_file_name_with_quotes_is_refused(tmp_path: Path) -> None:
    """Versions go into SQL literals, so odd names are refused rather than escaped."""
    root = migrations_copy(tmp_path)
    (root / "tenant" / "99_2099_it's.py").write_text("")
    with pytest.raises(MigrationFileError, match="rename it"):
        list_migrations("tenant", root)


async def test_run_in_transaction_false_is_refused(tmp_path: Path) -> None:
    """A schema must migrate in one transaction."""
    root = migrations_copy(tmp_path)
    add_migration(root, "tenant", "concurrently", "CREATE INDEX CONCURRENTLY x ON tag (name)")
    path = list_migrations("tenant", root)[-1].path
    path.write_text(
        path.read_text().replace("RUN_IN_TRANSACTION = True", "RUN_IN_TRANSACTION = False")
    )
    with pytest.raises(MigrationFileError, match="RUN_IN_TRANSACTION"):
        await upgrade_sql(list_migrations("tenant", root)[-1])


async def test_an_upgrade_that_queries_its_db_argument_is_refused(tmp_path: Path) -> None:
    """One SQL text is replayed into every schema, so upgrade() must not query."""
    root = migrations_copy(tmp_path)
    add_migration(root, "tenant", "queries", "SELECT 1")
    path = list_migrations("tenant", root)[-1].path
    path.write_text(
        path.read_text().replace(
            '    return """', '    await db.execute_query("SELECT 1")\n    return """', 1
        )
    )
    with pytest.raises(MigrationFileError, match="uses its db argument"):
        await upgrade_sql(list_migrations("tenant", root)[-1])


async def test_guild_script_guards_state_and_syncs_the_registry(tmp_path: Path) -> None:
    """The script locks, checks the aerich state it was planned from, and updates the row."""
    root = migrations_copy(tmp_path)
    version = add_migration(root, "tenant", "add_x", 'ALTER TABLE "member" ADD "x" INT')
    migrations = list_migrations("tenant", root)
    shipped_head = migrations[-2].version
    applied = expected_applied(shipped_head, migrations)
    assert applied == {m.version for m in migrations[:-1]}
    plan = plan_schema("guild_42", "tenant", applied, migrations)
    script = "\n".join(await upgrade_statements(plan))
    assert [m.version for m in plan.pending] == [version] and plan.version == version
    assert "pg_advisory_xact_lock(42)" in script  # the guild's one lock key (app/tenancy/locks.py)
    assert "ERRCODE = 'GH001'" in script
    assert 'ALTER TABLE "member" ADD "x" INT' in script
    assert f'"schema_version" = \'{version}\' WHERE "guild_id" = 42' in script


def test_a_schema_at_a_version_this_release_lacks_is_not_planned(tmp_path: Path) -> None:
    """A newer release migrated it: refuse to guess."""
    migrations = list_migrations("tenant", migrations_copy(tmp_path))
    with pytest.raises(MigrationFileError, match="does not know"):
        plan_schema("guild_42", "tenant", {"7_20990101000000_future.py"}, migrations)
    assert expected_applied("7_20990101000000_future.py", migrations) is None


@pytest.mark.parametrize("bad", ["public", "guild_x", 'guild_1"; DROP', "guildhall_scratch_zz"])
def test_only_shared_guild_and_scratch_schemas_are_migratable(bad: str) -> None:
    """Every identifier the migrator sends is validated first."""
    with pytest.raises(InvalidGuildId):
        quote_any_schema(bad)
    assert quote_any_schema("guildhall_scratch_0123abcd") == '"guildhall_scratch_0123abcd"'
