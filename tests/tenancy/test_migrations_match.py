"""Provisioning (DDL from the models + aerich rows) gives the schema that replaying every
migration from scratch gives, compared in pg_catalog.

The session's tenancy adds test-only tenant models (tests/tenancy/relation_models.py), so a
provisioned test schema has extra tables. The comparison covers the product tables (the
models of app.models.tenant, and aerich) exactly, comments included, and then checks that
every extra table is one of the test-only models — so nothing else differs. (A product-only
comparison, DDL against replayed migrations, is what ``guildhall db makemigrations`` runs;
tests/cli/test_db.py covers it.)
"""

from __future__ import annotations

import inspect

import asyncpg
from tortoise.models import Model

import app.models.tenant as product_models
import tests.tenancy.relation_models as test_models
from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.migrations.applier import upgrade_schema
from app.tenancy.migrations.files import list_migrations
from app.tenancy.naming import schema_for
from app.tenancy.schemas.catalog import describe_schema, diff_descriptions


def _tables(module: object) -> set[str]:
    """Tables of the models defined in ``module`` (many-to-many tables included)."""
    tables = set()
    for _, model in inspect.getmembers(module, inspect.isclass):
        if issubclass(model, Model) and model.__module__ == module.__name__:  # type: ignore[attr-defined]
            tables.add(model._meta.db_table)
            tables.update(
                f.through for f in model._meta.fields_map.values() if hasattr(f, "through")
            )
    return tables


async def test_provisioned_schema_equals_one_built_by_every_migration(
    tenancy, provisioned, new_guild_id, database
) -> None:
    """Columns, types, defaults, indexes, constraints, sequences, comments and aerich rows."""
    provisioned_schema = schema_for(await provisioned())
    replayed_schema = schema_for(next(new_guild_id))  # no registry row: a bare schema
    applied = await upgrade_schema(SHARED_ALIAS, replayed_schema, "tenant", create=True)
    assert applied == [m.version for m in list_migrations("tenant")]
    product = _tables(product_models) | {"aerich"}
    conn = await asyncpg.connect(database.dsn)
    try:
        replayed = await describe_schema(conn, replayed_schema)
        built = await describe_schema(conn, provisioned_schema, tables=product)
        assert set(replayed["tables"]) == product
        assert replayed["columns"] and replayed["indexes"] and replayed["constraints"]
        assert diff_descriptions(built, replayed, ignore=()) == []

        everything = await describe_schema(conn, provisioned_schema)
        assert set(everything["tables"]) - product == _tables(test_models)

        rows = "SELECT version, app, content FROM {}.aerich ORDER BY id"
        assert await conn.fetch(rows.format(provisioned_schema)) == await conn.fetch(
            rows.format(replayed_schema)
        )
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{replayed_schema}" CASCADE')
        await conn.close()


async def test_catalog_diff_names_a_changed_default_and_a_missing_index(
    tenancy, provisioned, database
) -> None:
    """The comparison is not vacuous: a changed default and a dropped index show up."""
    one, two = schema_for(await provisioned()), schema_for(await provisioned())
    conn = await asyncpg.connect(database.dsn)
    try:
        await conn.execute(f'ALTER TABLE "{two}".member ALTER COLUMN xp SET DEFAULT 7')
        await conn.execute(f'DROP INDEX "{two}"."idx_tag_author__2352b4"')
        diff = diff_descriptions(await describe_schema(conn, one), await describe_schema(conn, two))
    finally:
        await conn.close()
    assert any("member.xp default" in line for line in diff)
    assert any("idx_tag_author__2352b4 only on the left" in line for line in diff)
