"""What Guildhall promises on a Citus cluster (``CITUS_COORDINATOR_URL``, :mod:`bench._cluster`).

Guild schemas become distributed schemas on the workers, the registry stays a plain schema of
the coordinator, sizes measure the shards, and a guild moved to another worker with
``citus_schema_move`` keeps being served. On plain PostgreSQL the Citus-only tests skip, and
the layout reader answers "not Citus".
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from app.cli.doctor_citus import citus_findings
from app.models.tenant import Tag
from app.tenancy import guild_db, schema_size
from app.tenancy.connections.shared_tier import SharedTier
from app.tenancy.naming import quote_role, schema_for
from app.tenancy.schemas.citus import citus_layout
from app.tenancy.schemas.spares import create_spare
from bench._cluster import cluster_from_env

on_cluster = pytest.mark.skipif(cluster_from_env() is None, reason="no Citus cluster given")


async def _admin(database) -> asyncpg.Connection:
    return await asyncpg.connect(database.dsn)


async def _node_of(conn: asyncpg.Connection, schema: str) -> tuple[str, int]:
    row = await conn.fetchrow(
        """SELECT DISTINCT nd.nodename, nd.nodeport FROM pg_dist_shard sh
           JOIN pg_class c ON c.oid = sh.logicalrelid
           JOIN pg_dist_placement pl ON pl.shardid = sh.shardid
           JOIN pg_dist_node nd ON nd.groupid = pl.groupid
           WHERE c.relnamespace = $1::regnamespace""",
        schema,
    )
    return row["nodename"], row["nodeport"]


async def test_plain_postgresql_has_no_citus_layout(database) -> None:
    """The doctor's Citus section and the shard-aware sizes stay off without Citus."""
    if cluster_from_env() is not None:
        pytest.skip("this database is a Citus one")
    conn = await _admin(database)
    try:
        assert await citus_layout(conn) is None
        assert await citus_findings(conn) == []
    finally:
        await conn.close()


@on_cluster
async def test_guild_schemas_are_distributed_and_the_registry_stays_on_the_coordinator(
    tenancy, provisioned, database
) -> None:
    """Each guild schema (built or from a spare) lives on a worker; shared.* are local tables."""
    built = await provisioned()
    await create_spare(tenancy.tenant_ddl, tenancy.role_tag)
    from_spare = await provisioned()
    conn = await _admin(database)
    try:
        layout = await citus_layout(conn)
        assert layout is not None and layout.sharding == "on" and not layout.problems
        assert sum(layout.guild_schemas.values()) >= 2
        distributed = {
            row["nspname"]
            for row in await conn.fetch(
                "SELECT nspname FROM pg_dist_schema JOIN pg_namespace ON oid = schemaid"
            )
        }
        assert {f"guild_{built}", f"guild_{from_spare}"} <= distributed
        assert "shared" not in distributed
        shared_distributed = await conn.fetchval(
            """SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
               WHERE c.relnamespace = 'shared'::regnamespace"""
        )
        assert shared_distributed == 0
        workers = {(w.host, w.port) for w in cluster_from_env().workers}  # type: ignore[union-attr]
        assert await _node_of(conn, f"guild_{built}") in workers
    finally:
        await conn.close()


@on_cluster
async def test_schema_size_measures_the_shards(tenancy, provisioned, database) -> None:
    """The coordinator's shell tables are empty; the size counts the rows on the worker."""
    guild_id = await provisioned()
    before = await schema_size(guild_id)
    async with guild_db(guild_id):
        await Tag.bulk_create(
            [
                Tag(name=f"t{i}", name_key=f"t{i}", content="x" * 1500, author_id=i)
                for i in range(400)
            ]
        )
    conn = await _admin(database)
    try:
        shells = await conn.fetchval(
            """SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
               WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'""",
            f"guild_{guild_id}",
        )
    finally:
        await conn.close()
    after = await schema_size(guild_id)
    assert after >= before + 400 * 1500 // 2  # TOAST may compress; still hundreds of kB more
    assert shells < after


@on_cluster
async def test_a_guild_moved_to_another_worker_is_still_served(
    tenancy, provisioned, database
) -> None:
    """``citus_schema_move`` (README, "Scale-out"): the guild's data follows, reads go on."""
    guild_id = await provisioned()
    schema = f"guild_{guild_id}"
    async with guild_db(guild_id):
        await Tag.create(name="moved", name_key="moved", content="still here", author_id=1)
    conn = await _admin(database)
    try:
        source = await _node_of(conn, schema)
        target = next(
            (w.host, w.port)
            for w in cluster_from_env().workers  # type: ignore[union-attr]
            if (w.host, w.port) != source
        )
        await conn.execute(
            "SELECT citus_schema_move($1::regnamespace, $2, $3, 'block_writes')",
            schema,
            target[0],
            target[1],
        )
        assert await _node_of(conn, schema) == target
    finally:
        await conn.close()
    async with guild_db(guild_id):
        tag = await Tag.get(name_key="moved")
        await Tag.create(name="after", name_key="after", content="written", author_id=1)
    assert tag.content == "still here"


@on_cluster
async def test_doctor_shows_the_nodes_and_flags_a_guild_schema_left_on_the_coordinator(
    tenancy, provisioned, database
) -> None:
    """The doctor's Citus section: nodes, schemas per node, and what is not distributed."""
    guild_id = await provisioned()
    conn = await _admin(database)
    try:
        clean = await citus_findings(conn)
        assert [f.level for f in clean] == ["info", "ok"], clean
        workers = cluster_from_env().workers  # type: ignore[union-attr]
        for worker in workers:
            assert f"{worker.host}:{worker.port} (worker)" in clean[0].message
        assert "enable_schema_based_sharding = on" in clean[0].message
        assert "registry on the coordinator" in clean[0].message
        assert "guild schemas not distributed: 0" in clean[1].message
        await conn.execute(
            "SELECT citus_schema_undistribute($1::regnamespace)", f"guild_{guild_id}"
        )
        flagged = await citus_findings(conn)
    finally:
        await conn.close()
    warnings = [f for f in flagged if f.level == "warning"]
    assert len(warnings) == 1 and f"guild_{guild_id}" in warnings[0].message
    assert "citus_schema_distribute" in warnings[0].fix


@on_cluster
async def test_doctor_flags_a_guild_role_that_may_not_log_in(
    tenancy, provisioned, database
) -> None:
    """A guild role made NOLOGIN (before the database moved to Citus) cannot reach the
    workers; the doctor names it and the fix."""
    guild_id = await provisioned()
    role = tenancy.role_for(guild_id)
    conn = await _admin(database)
    try:
        await conn.execute(f"ALTER ROLE {quote_role(role)} NOLOGIN")
        try:
            flagged = await citus_findings(conn)
        finally:
            await conn.execute(f"ALTER ROLE {quote_role(role)} LOGIN")
        clean = await citus_findings(conn)
    finally:
        await conn.close()
    warnings = [f for f in flagged if f.level == "warning"]
    assert len(warnings) == 1 and role in warnings[0].message
    assert "ALTER ROLE <role> LOGIN" in warnings[0].fix
    assert not [f for f in clean if f.level == "warning"]


@on_cluster
async def test_shared_tier_keeps_worker_connections_per_guild_role_only_briefly(
    tenancy, provisioned, database
) -> None:
    """A shared connection acts as one guild role after another, and Citus keeps a worker
    connection per role it acted as (README, "Capacity"): the tier keeps them only for its
    worker-connection lifetime, after which the next commit closes them."""
    guilds = [await provisioned() for _ in range(4)]
    tier = SharedTier(database, size=1, worker_connection_lifetime_ms=300)
    await tier.start()
    try:

        async def use(guild_id: int) -> None:
            index, conn = await tier.acquire(
                guild_id, schema_for(guild_id), tenancy.role_for(guild_id)
            )
            try:
                await conn.fetchval("SELECT count(*) FROM tag")  # runs on the guild's worker
            finally:
                await tier.release(index, conn)

        for guild_id in guilds:
            await use(guild_id)
        roles = [tenancy.role_for(g) for g in guilds]
        assert set(await _worker_sessions(database, roles)) == set(roles)  # kept for reuse
        await asyncio.sleep(0.5)
        await use(guilds[0])  # its commit closes what outlived the lifetime
        assert await _worker_sessions(database, roles[1:]) == []
    finally:
        await tier.close()


async def _worker_sessions(database, roles: list[str]) -> list[str]:
    """The roles among ``roles`` that have a session on some worker (waiting a moment for
    closed connections' backends to exit)."""
    cluster = cluster_from_env()
    assert cluster is not None
    found: list[str] = []
    for _attempt in range(30):
        found = []
        for worker in cluster.workers:
            conn = await asyncpg.connect(worker.with_database(database.database).dsn)
            try:
                rows = await conn.fetch(
                    "SELECT usename FROM pg_stat_activity WHERE usename = ANY($1::text[])", roles
                )
            finally:
                await conn.close()
            found += [r["usename"] for r in rows]
        if not found:
            break
        await asyncio.sleep(0.1)
    return found
