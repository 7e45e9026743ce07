"""Spare schemas: built ahead, claimed by rename inside provisioning's transaction."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from tortoise import connections

import app.tenancy.schemas.provisioning as provisioning
from app.models.shared import Tenant
from app.tenancy import ProvisioningError
from app.tenancy.errors import InvalidGuildId
from app.tenancy.migrations.files import head_version, list_migrations
from app.tenancy.naming import SPARE_PATTERN, quote_any_schema, quote_schema, spare_schema
from app.tenancy.schemas.catalog import describe_schema, diff_descriptions
from app.tenancy.schemas.provisioning import provision
from app.tenancy.schemas.spares import create_spare, list_spares, refill_spares, spare_marker


async def _drop_all_spares() -> None:
    for name in await list_spares():
        await connections.get("shared").execute_script(
            f"DROP SCHEMA IF EXISTS {quote_any_schema(name)} CASCADE"
        )


@pytest.fixture
async def no_spares(tenancy):
    """No spare exists before or after the test (other tests must build their schemas)."""
    await _drop_all_spares()
    yield
    await _drop_all_spares()


@pytest.fixture
def claims(monkeypatch) -> list[str]:
    """The names of the spares provisioning claimed (successful or not)."""
    claimed: list[str] = []
    real = provisioning.claim_spare

    async def recording(conn, head):
        name = await real(conn, head)
        if name is not None:
            claimed.append(name)
        return name

    monkeypatch.setattr(provisioning, "claim_spare", recording)
    return claimed


async def _schema_exists(schema: str) -> bool:
    rows = await connections.get("shared").execute_query_dict(
        "SELECT to_regnamespace($1) IS NOT NULL AS present", [schema]
    )
    return bool(rows[0]["present"])


async def _schema_comment(schema: str) -> str | None:
    rows = await connections.get("shared").execute_query_dict(
        "SELECT obj_description(to_regnamespace($1), 'pg_namespace') AS c", [schema]
    )
    return rows[0]["c"]


def test_spare_names_are_accepted_only_where_any_schema_is() -> None:
    """A spare name is quotable by quote_any_schema, never mistaken for a guild schema."""
    name = spare_schema()
    assert SPARE_PATTERN.match(name) and quote_any_schema(name) == f'"{name}"'
    with pytest.raises(InvalidGuildId):
        quote_schema(name)
    for bad in ['guildhall_spare_"x', "guildhall_spare_0123", "guildhall_spare_" + "G" * 16]:
        with pytest.raises(InvalidGuildId):
            quote_any_schema(bad)


async def test_claimed_spare_equals_a_directly_built_schema(
    tenancy, new_guild_id, database, no_spares, claims
) -> None:
    """Tables, columns, indexes, constraints, comments and aerich rows are the same; the
    registry row and aerich state are at the head; the spare's marker is gone."""
    direct, warm = next(new_guild_id), next(new_guild_id)
    assert not (
        await provision(direct, ddl=tenancy.tenant_ddl, tag=tenancy.role_tag, use_spares=False)
    ).from_spare
    spare = await create_spare(tenancy.tenant_ddl, tenancy.role_tag)
    assert await _schema_comment(spare) == spare_marker(tenancy.tenant_ddl)
    result = await tenancy.provision(warm, "Warm")
    assert result.created and result.from_spare and claims == [spare]
    assert not await _schema_exists(spare)
    assert await _schema_comment(f"guild_{warm}") is None
    tenant = await Tenant.get(guild_id=warm)
    assert tenant.schema_name == f"guild_{warm}" and tenant.name == "Warm"
    assert tenant.schema_version == head_version("tenant")
    conn = await asyncpg.connect(database.dsn)
    try:
        built = await describe_schema(conn, f"guild_{direct}")
        claimed = await describe_schema(conn, f"guild_{warm}")
        assert built["tables"] and built["indexes"] and built["constraints"]
        assert diff_descriptions(built, claimed, ignore=()) == []
        rows = "SELECT version, app, content FROM {}.aerich ORDER BY id"
        warm_rows = await conn.fetch(rows.format(f"guild_{warm}"))
        assert warm_rows == await conn.fetch(rows.format(f"guild_{direct}"))
        shipped = [(m.version, "tenant") for m in list_migrations("tenant")]
        assert [(r["version"], r["app"]) for r in warm_rows] == shipped
    finally:
        await conn.close()


async def test_ten_concurrent_guilds_share_three_spares(
    tenancy, new_guild_id, no_spares, claims
) -> None:
    """10 guilds at once with 3 spares: all succeed, exactly 3 use a spare, each spare once."""
    assert (await refill_spares(tenancy.tenant_ddl, 3, tenancy.role_tag)).created == 3
    spares = set(await list_spares())
    ids = [next(new_guild_id) for _ in range(10)]
    results = await asyncio.gather(*(tenancy.provision(g) for g in ids))
    assert all(r.created and r.error is None for r in results)
    assert sum(r.from_spare for r in results) == 3
    assert len(claims) == 3 and set(claims) == spares
    assert await list_spares() == {}  # nothing refilled: the test tenancy keeps no spares
    for guild_id in ids:
        assert await _schema_exists(f"guild_{guild_id}")
    assert await Tenant.filter(guild_id__in=ids).count() == 10


async def test_twenty_concurrent_provisions_of_one_guild_use_at_most_one_spare(
    tenancy, new_guild_id, no_spares
) -> None:
    """20 concurrent provisions of one guild: one schema, one row, one spare consumed."""
    await refill_spares(tenancy.tenant_ddl, 2, tenancy.role_tag)
    guild_id = next(new_guild_id)
    results = await asyncio.gather(*(tenancy.provision(guild_id) for _ in range(20)))
    assert sum(r.created for r in results) == 1
    assert sum(r.from_spare for r in results) == 1
    assert await Tenant.filter(guild_id=guild_id).count() == 1
    assert await _schema_exists(f"guild_{guild_id}")
    assert len(await list_spares()) == 1


async def test_stale_spare_is_never_claimed_and_refill_drops_it(
    tenancy, new_guild_id, no_spares, claims
) -> None:
    """A spare marked with another version is skipped by provisioning and dropped by refill."""
    stale = await create_spare(tenancy.tenant_ddl, tenancy.role_tag)
    await connections.get("shared").execute_script(
        f"COMMENT ON SCHEMA {quote_any_schema(stale)} IS '0_19700101000000_old.py'"
    )
    result = await tenancy.provision(next(new_guild_id))
    assert result.created and not result.from_spare and claims == []
    assert await _schema_exists(stale)
    report = await refill_spares(tenancy.tenant_ddl, 1, tenancy.role_tag)
    assert (report.dropped, report.created, report.current) == (1, 1, 1)
    spares = await list_spares()
    assert stale not in spares and list(spares.values()) == [spare_marker(tenancy.tenant_ddl)]


async def test_failure_after_claiming_keeps_the_spare(
    tenancy, new_guild_id, no_spares, claims
) -> None:
    """The registry insert fails after the rename (a NUL byte in the name): the rename rolls
    back, so the spare is still there, and neither a guild schema nor a row is left."""
    spare = await create_spare(tenancy.tenant_ddl, tenancy.role_tag)
    guild_id = next(new_guild_id)
    with pytest.raises(ProvisioningError, match=f"guild {guild_id}"):
        await provision(guild_id, ddl=tenancy.tenant_ddl, tag=tenancy.role_tag, name="bad\x00name")
    assert claims == [spare]  # it really was claimed (and renamed) before the failure
    assert await list_spares() == {spare: spare_marker(tenancy.tenant_ddl)}
    assert not await _schema_exists(f"guild_{guild_id}")
    assert not await Tenant.filter(guild_id=guild_id).exists()
    # The guild can still be provisioned, and gets that same spare.
    result = await tenancy.provision(guild_id)
    assert result.from_spare and claims == [spare, spare]
    assert await list_spares() == {}


async def test_refill_creates_exactly_target_and_is_a_no_op_when_full(tenancy, no_spares) -> None:
    """Refill makes ``target`` current spares; again it does nothing; concurrent refills do
    not overshoot."""
    first = await refill_spares(tenancy.tenant_ddl, 3, tenancy.role_tag)
    assert (first.dropped, first.created, first.current) == (0, 3, 3)
    spares = await list_spares()
    assert len(spares) == 3 and set(spares.values()) == {spare_marker(tenancy.tenant_ddl)}
    second = await refill_spares(tenancy.tenant_ddl, 3, tenancy.role_tag)
    assert (second.dropped, second.created, second.current) == (0, 0, 3)
    assert await list_spares() == spares
    reports = await asyncio.gather(
        *(refill_spares(tenancy.tenant_ddl, 5, tenancy.role_tag) for _ in range(4))
    )
    assert sum(r.created for r in reports) == 2
    assert len(await list_spares()) == 5


async def test_tenancy_refills_in_the_background_after_a_join(
    tenancy, new_guild_id, no_spares
) -> None:
    """With spare_schemas set, a provision schedules a refill that never raises into it."""
    tenancy.spares.count = 2
    try:
        result = await tenancy.provision(next(new_guild_id))
        assert result.created and not result.from_spare  # none were ready yet
        assert tenancy.spares.running
        await tenancy.spares.wait()
        assert len(await list_spares()) == 2
        result = await tenancy.provision(next(new_guild_id))
        assert result.from_spare
        await tenancy.spares.wait()
        assert len(await list_spares()) == 2
    finally:
        tenancy.spares.count = 0


async def test_background_refill_failure_is_only_logged(
    tenancy, new_guild_id, no_spares, monkeypatch, caplog
) -> None:
    """A refill that fails is logged; the provision that triggered it still succeeds."""

    async def broken(ddl: str, target: int, tag: str):
        raise RuntimeError("refill exploded")

    monkeypatch.setattr("app.tenancy.registry.runtime.refill_spare_schemas", broken)
    tenancy.spares.count = 1
    try:
        assert (await tenancy.provision(next(new_guild_id))).created
        assert tenancy.spares.running
        await tenancy.spares.wait()  # returns: the error was caught
    finally:
        tenancy.spares.count = 0
    assert "refilling spare schemas failed" in caplog.text


async def test_spare_built_from_other_models_is_never_claimed(
    tenancy, new_guild_id, no_spares, claims
) -> None:
    """Same migration head, different DDL (another process's models): not claimed, dropped."""
    product_only = tenancy.tenant_ddl.split('CREATE TABLE "book"')[0]
    assert product_only != tenancy.tenant_ddl
    foreign = await create_spare(product_only, tenancy.role_tag)
    result = await tenancy.provision(next(new_guild_id))
    assert result.created and not result.from_spare and claims == []
    report = await refill_spares(tenancy.tenant_ddl, 1, tenancy.role_tag)
    assert report.dropped == 1
    assert foreign not in await list_spares()
