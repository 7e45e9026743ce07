"""``verify_schemas``: every guild schema against the reference for its recorded version.

The session's guilds carry the test-only tenant models too, so each test passes the session
tenancy's DDL (what provisioned them) and, where other tests' guilds would be in the way,
only its own guild ids.
"""

from __future__ import annotations

import inspect

import asyncpg
import pytest
from tortoise.models import Model

import app.models.tenant as product_models
from app.tenancy.migrations.files import head_version
from app.tenancy.migrations.fleet import MigrateOptions, migrate_all
from app.tenancy.naming import quote_any_schema, schema_for
from app.tenancy.schemas.spares import create_spare
from app.tenancy.schemas.verify import VerifyInputError, verify_schemas
from app.tenancy.schemas.verify.compare import compare
from app.tenancy.schemas.verify.reference import build_references
from app.tenancy.schemas.verify.shape import SESSION, read_items
from tests.tenancy.test_migrate_all import add_migration, migrations_copy

#: The product's tenant tables (the session's tenancy adds test-only ones), and aerich's.
PRODUCT_TABLES = {
    model._meta.db_table
    for _, model in inspect.getmembers(product_models, inspect.isclass)
    if issubclass(model, Model) and model.__module__ == product_models.__name__
} | {"aerich"}


@pytest.fixture
async def conn(database):
    """An asyncpg connection to the test database."""
    connection = await asyncpg.connect(database.dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def _verify(conn, tenancy, guilds=None, **options):
    return await verify_schemas(conn, ddl=tenancy.tenant_ddl, guild_ids=guilds, **options)


SABOTAGE = {
    "added column": ("ALTER TABLE {s}.tag ADD extra int DEFAULT 3", ["column tag.extra added"]),
    "dropped index": (
        "DROP INDEX {s}.idx_tag_author__2352b4",
        ["index idx_tag_author__2352b4 missing"],
    ),
    "changed default": (
        "ALTER TABLE {s}.member ALTER COLUMN xp SET DEFAULT 7",
        ["default of member.xp changed (0 -> 7)"],
    ),
    "missing table": ("DROP TABLE {s}.note", ["table note missing"]),
    "changed type": (
        "ALTER TABLE {s}.tag ALTER COLUMN name TYPE varchar(65)",
        [
            "column tag.name changed "
            "(character varying(64) not null -> character varying(65) not null)"
        ],
    ),
    "changed sequence": (
        "ALTER SEQUENCE {s}.note_id_seq INCREMENT 2",
        ["sequence note_id_seq changed"],
    ),
    "changed collation": (
        'ALTER TABLE {s}.note ALTER COLUMN content TYPE varchar(1000) COLLATE "C"',
        [
            "column note.content changed (character varying(1000) not null -> "
            'character varying(1000) not null collate "C")'
        ],
    ),
    "extra table": ("CREATE TABLE {s}.extra (id bigserial PRIMARY KEY)", ["table extra added"]),
}


@pytest.mark.parametrize("sabotage", sorted(SABOTAGE))
async def test_verify_names_only_the_sabotaged_guild_and_what_changed(
    sabotage, tenancy, provisioned, conn
) -> None:
    """One guild of three altered by hand: that guild alone, with that difference alone."""
    guilds = [await provisioned() for _ in range(3)]
    sql, expected = SABOTAGE[sabotage]
    await conn.execute(sql.format(s=quote_any_schema(schema_for(guilds[1]))))

    report = await _verify(conn, tenancy, guilds)

    assert report.checked == 3 and not report.ok
    assert [(d.guild_id, [str(x) for x in d.differences]) for d in report.drifted] == [
        (guilds[1], expected)
    ]
    assert str(report.drifted[0]).startswith(f"guild {guilds[1]} (guild_{guilds[1]}): ")
    assert report.lines() == [str(report.drifted[0])]


async def test_verify_names_a_table_owned_by_a_foreign_role(
    tenancy, provisioned, conn, database
) -> None:
    """A table handed to another role: its owner named (the guild's own role expected); the
    guild next to it is clean."""
    guilds = [await provisioned() for _ in range(2)]
    role = f"{database.database}_foreign"  # roles are server-wide: unique to this run
    own = tenancy.role_for(guilds[0])
    me = await conn.fetchval("SELECT current_user")
    await conn.execute(f'CREATE ROLE "{role}"')
    try:
        await conn.execute(f'ALTER TABLE "{schema_for(guilds[0])}".tag OWNER TO "{role}"')
        report = await _verify(conn, tenancy, guilds)
        await conn.execute(f'ALTER TABLE "{schema_for(guilds[0])}".tag OWNER TO "{own}"')
        again = await _verify(conn, tenancy, guilds)
    finally:
        await conn.execute(f'REASSIGN OWNED BY "{role}" TO "{me}"; DROP ROLE "{role}"')
    assert [d.guild_id for d in report.drifted] == [guilds[0]]
    assert [str(d) for d in report.drifted[0].differences] == [
        f"table tag is owned by {role} instead of {own}",
        f"sequence tag_id_seq is owned by {role} instead of {own}",
    ]
    assert again.ok and again.checked == 2


async def test_verify_reports_a_registry_row_whose_schema_is_gone(
    tenancy, provisioned, conn
) -> None:
    """The schema dropped by hand: named as registered without schema, not as drifted."""
    clean, orphan = await provisioned(), await provisioned()
    await conn.execute(f'DROP SCHEMA "{schema_for(orphan)}" CASCADE')

    report = await _verify(conn, tenancy, [clean, orphan])

    assert report.missing_schemas == {orphan: schema_for(orphan)}
    assert report.drifted == [] and report.checked == 1 and not report.ok
    assert f"guildhall tenants provision {orphan}" in report.lines()[0]


async def test_verify_reports_a_guild_schema_without_registry_row(
    tenancy, new_guild_id, conn
) -> None:
    """A ``guild_<id>`` schema nobody registered (even one no guild id can have): named,
    with --guild and without."""
    stray, impossible = schema_for(next(new_guild_id)), "guild_0"
    await conn.execute(f'CREATE SCHEMA "{stray}"; CREATE SCHEMA "{impossible}"')
    try:
        only = await _verify(conn, tenancy, [int(stray.removeprefix("guild_"))])
        everything = await _verify(conn, tenancy)
    finally:
        await conn.execute(f'DROP SCHEMA "{stray}"; DROP SCHEMA "{impossible}"')
    assert only.unregistered_schemas == [stray] and only.checked == 0 and not only.ok
    assert only.lines() == [f"schema {stray}: no registry row"]
    assert {stray, impossible} <= set(everything.unregistered_schemas)


async def test_verify_reports_leftover_spare_and_scratch_schemas(tenancy, conn) -> None:
    """A spare marked for another release and a scratch schema are leftovers; a current spare
    is ready and compared with the head."""
    stale = await create_spare(tenancy.tenant_ddl, tenancy.role_tag)
    current = await create_spare(tenancy.tenant_ddl, tenancy.role_tag)
    scratch = "guildhall_scratch_0badc0de"
    await conn.execute(f'COMMENT ON SCHEMA "{stale}" IS \'old ddl:0\'; CREATE SCHEMA "{scratch}"')
    try:
        clean = await _verify(conn, tenancy)
        await conn.execute(f'ALTER TABLE "{current}".member ADD extra int')
        sabotaged = await _verify(conn, tenancy)
    finally:
        for name in (stale, current, scratch):
            await conn.execute(f'DROP SCHEMA "{name}" CASCADE')
    assert stale in clean.leftover_spares and current not in clean.leftover_spares
    assert scratch in clean.leftover_scratch and clean.spares_ready >= 1
    assert current not in {d.schema for d in clean.drifted}
    assert f"spare {current}: column member.extra added" in [str(d) for d in sabotaged.drifted]


async def test_verify_refuses_a_guild_it_knows_nothing_about(tenancy, new_guild_id, conn) -> None:
    """--guild with an id that has neither a registry row nor a schema: bad input."""
    unknown = next(new_guild_id)
    with pytest.raises(VerifyInputError, match=f"guild {unknown} is not registered"):
        await _verify(conn, tenancy, [unknown])


async def test_verify_compares_each_guild_with_its_own_recorded_version(
    tenancy, provisioned, conn, database, tmp_path
) -> None:
    """With a newer migration, a migrated guild and one still behind both match their own
    version; a registry claiming the new version for a schema without it is drift."""
    migrated, behind, liar = [await provisioned() for _ in range(3)]
    root = migrations_copy(tmp_path)
    version = add_migration(root, "tenant", "verify_col", 'ALTER TABLE "member" ADD "v" INT')
    await migrate_all(database, MigrateOptions(shared=False, guild_ids=[migrated], root=root))
    await conn.execute(
        "UPDATE shared.tenant SET schema_version = $1 WHERE guild_id = $2", version, liar
    )

    report = await _verify(conn, tenancy, [migrated, behind, liar], root=root)

    assert report.checked == 3
    assert [(d.guild_id, d.version, [str(x) for x in d.differences]) for d in report.drifted] == [
        (liar, version, ["column member.v missing"])
    ]


async def test_verify_with_details_off_finds_the_same_guilds_without_differences(
    tenancy, provisioned, conn
) -> None:
    """The count-only form (doctor): drifted guilds found, differences not read."""
    guilds = [await provisioned() for _ in range(2)]
    await conn.execute(f'DROP TABLE "{schema_for(guilds[0])}".note')

    report = await _verify(conn, tenancy, guilds, details=False)

    assert [(d.guild_id, d.differences) for d in report.drifted] == [(guilds[0], [])]


async def test_reference_replayed_from_migrations_equals_the_one_built_from_the_ddl(
    tenancy, conn
) -> None:
    """Both roads to the head give the same items (test-only tables aside), so a guild built
    long ago and migrated since is not reported against the DDL-built head."""
    head = head_version("tenant")
    transaction = conn.transaction()
    await transaction.start()
    try:
        tag = tenancy.role_tag
        replayed = (await build_references(conn, [head], ddl=None, tag=tag))[head]
        built = (await build_references(conn, [head], ddl=tenancy.tenant_ddl, tag=tag))[head]
        await conn.execute(SESSION)
        items = await read_items(conn, {r.schema: r.role for r in (replayed, built)})
    finally:
        await transaction.rollback()
    replayed_items, built_items = items[replayed.schema], items[built.schema]
    product = {i.name for i in replayed_items.values() if i.kind == "table"}
    assert product == PRODUCT_TABLES
    from_ddl = {k: i for k, i in built_items.items() if _table_of(i) in product | {""}}
    assert len(from_ddl) < len(built_items)  # the test-only tables were there, and left out
    login = built_items["schema"].owner
    assert compare(from_ddl, replayed_items, built.role, login) == []


def _table_of(item) -> str:
    """The table an item belongs to ("" for the schema itself)."""
    if item.kind == "schema":
        return ""
    return (item.parent or item.key).split(" ", 1)[1].split(".")[0]


async def test_verify_names_rights_granted_beyond_the_guild_role(
    tenancy, provisioned, conn
) -> None:
    """Rights on the schema or a table given to anyone but the guild's own role are drift
    (the guild's own grants compare equal across guilds)."""
    guilds = [await provisioned() for _ in range(3)]
    schema = quote_any_schema(schema_for(guilds[1]))
    await conn.execute(
        f"GRANT SELECT ON {schema}.tag TO PUBLIC; GRANT USAGE ON SCHEMA {schema} TO PUBLIC"
    )

    report = await _verify(conn, tenancy, guilds)

    assert [d.guild_id for d in report.drifted] == [guilds[1]]
    changes = report.drifted[0].differences
    assert [(d.kind, d.name, d.change) for d in changes] == [
        ("schema", "", "changed"),
        ("table", "tag", "changed"),
    ]
    assert changes[0].found.endswith(",=U/<login>}") and changes[0].expected.startswith("grants {")
    assert changes[1].expected == "r" and changes[1].found.startswith("r grants {<owner>=")


async def test_verify_shared_over_helper_connections_finds_the_same(
    tenancy, provisioned, conn, database
) -> None:
    """With two helper connections on the main transaction's snapshot: the same report."""
    guilds = [await provisioned() for _ in range(5)]
    await conn.execute(f'DROP INDEX "{schema_for(guilds[3])}".idx_tag_author__2352b4')
    helpers = [await asyncpg.connect(database.dsn) for _ in range(2)]
    try:
        shared = await verify_schemas(
            conn, ddl=tenancy.tenant_ddl, guild_ids=guilds, helpers=helpers
        )
    finally:
        for helper in helpers:
            await helper.close()
    alone = await _verify(conn, tenancy, guilds)
    assert (
        shared.lines()
        == alone.lines()
        == [f"guild {guilds[3]} (guild_{guilds[3]}): index idx_tag_author__2352b4 missing"]
    )
    assert shared.checked == alone.checked == 5
