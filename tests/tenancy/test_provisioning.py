"""Provisioning: one transaction under an advisory lock, idempotent, nothing half-made."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections

from app.models.shared import Tenant
from app.models.tenant import Tag
from app.tenancy import InvalidGuildId, ProvisioningError, guild_db
from app.tenancy.migrations.files import head_version, list_migrations
from app.tenancy.schemas.provisioning import provision


async def _schema_exists(schema: str) -> bool:
    rows = await connections.get("shared").execute_query_dict(
        "SELECT count(*) AS n FROM pg_namespace WHERE nspname = $1", [schema]
    )
    return rows[0]["n"] == 1


async def test_provision_creates_row_schema_tables_and_aerich_state(tenancy, new_guild_id) -> None:
    """A new guild gets its registry row, schema, usable tables and aerich state at head."""
    guild_id = next(new_guild_id)
    result = await tenancy.provision(guild_id, "Guild")
    assert result.created and result.schema == f"guild_{guild_id}"
    tenant = await Tenant.get(guild_id=guild_id)
    assert tenant.schema_name == f"guild_{guild_id}" and tenant.status == "active"
    assert tenant.schema_version == head_version("tenant")
    async with guild_db(guild_id) as conn:
        await Tag.create(name="x", name_key="x", content="y", author_id=1)
        rows = await conn.execute_query_dict('SELECT version, app FROM "aerich" ORDER BY id')
    shipped = [(m.version, "tenant") for m in list_migrations("tenant")]
    assert [(r["version"], r["app"]) for r in rows] == shipped


async def test_provision_twice_is_a_no_op(tenancy, new_guild_id) -> None:
    """Provisioning an existing guild changes nothing and reports created=False."""
    guild_id = next(new_guild_id)
    assert (await tenancy.provision(guild_id)).created
    async with guild_db(guild_id):
        await Tag.create(name="keep", name_key="keep", content="y", author_id=1)
    assert not (await tenancy.provision(guild_id)).created
    async with guild_db(guild_id):
        assert await Tag.filter(name_key="keep").exists()


async def test_twenty_concurrent_provisions_give_one_schema_one_row(tenancy, new_guild_id) -> None:
    """20 concurrent provisions of one guild: one schema, one row, no error, one creator."""
    guild_id = next(new_guild_id)
    results = await asyncio.gather(*(tenancy.provision(guild_id) for _ in range(20)))
    assert sum(r.created for r in results) == 1
    assert await Tenant.filter(guild_id=guild_id).count() == 1
    assert await _schema_exists(f"guild_{guild_id}")


async def test_failure_midway_leaves_neither_schema_nor_row(tenancy, new_guild_id) -> None:
    """DDL that fails after the schema and row were made rolls both back."""
    guild_id = next(new_guild_id)
    broken = tenancy.tenant_ddl + "\nSELECT 1/0;"
    with pytest.raises(ProvisioningError, match=f"guild {guild_id}"):
        await provision(guild_id, ddl=broken, tag=tenancy.role_tag)
    assert not await Tenant.filter(guild_id=guild_id).exists()
    assert not await _schema_exists(f"guild_{guild_id}")
    # And the guild can still be provisioned properly afterwards.
    assert (await tenancy.provision(guild_id)).created


async def test_missing_schema_is_recreated_for_existing_row(tenancy, new_guild_id) -> None:
    """A registry row whose schema was dropped by hand gets its schema back."""
    guild_id = next(new_guild_id)
    await tenancy.provision(guild_id)
    await connections.get("shared").execute_script(
        f'DROP SCHEMA "guild_{guild_id}" CASCADE;'
        f"UPDATE shared.tenant SET schema_version = 'stale' WHERE guild_id = {guild_id}"
    )
    assert (await tenancy.provision(guild_id)).created
    assert await _schema_exists(f"guild_{guild_id}")
    # The recreated schema is at the head, and the registry says so.
    assert (await Tenant.get(guild_id=guild_id)).schema_version == head_version("tenant")


@pytest.mark.parametrize(
    "bad", [0, -1, 2**63, 2**64, "", "abc", "1; DROP SCHEMA shared CASCADE", "guild_1", True, 1.5]
)
async def test_bad_guild_ids_are_refused_before_sql(tenancy, bad) -> None:
    """Anything that is not a snowflake is refused and creates nothing."""
    before = await Tenant.all().count()
    with pytest.raises(InvalidGuildId):
        await tenancy.provision(bad)
    assert await Tenant.all().count() == before


async def test_provision_many_reports_each_guild(tenancy, new_guild_id) -> None:
    """Several guilds at once: each provisioned, duplicates collapsed."""
    ids = [next(new_guild_id) for _ in range(5)]
    results = await tenancy.provision_many([*ids, ids[0]])
    assert sorted(r.guild_id for r in results) == sorted(ids)
    assert all(r.created and r.error is None for r in results)
