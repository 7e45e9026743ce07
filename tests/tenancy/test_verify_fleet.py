"""``verify_schemas`` over a thousand guilds, in a database of the test's own."""

from __future__ import annotations

import asyncpg

from app.tenancy.schemas.verify import verify_schemas
from app.tenancy.scratch import scratch_database
from bench._fleet import build_guilds, create_shared

GUILDS = 1000


async def test_verify_a_thousand_clean_guilds_then_the_one_sabotaged(tenancy, server_address):
    """1,000 guilds as provisioning makes them verify clean; one altered table is then the
    only thing named."""
    ids = [10**17 + n for n in range(GUILDS)]
    async with scratch_database(server_address, "guildhall_verify") as address:
        await create_shared(address)
        # 25 schemas per transaction: their ~1,100 locks fit the stock lock table (64 x 100).
        await build_guilds(address, ids, tenancy.tenant_ddl, jobs=2, batch=25)
        conn = await asyncpg.connect(address.dsn)
        try:
            clean = await verify_schemas(conn, ddl=tenancy.tenant_ddl)
            await conn.execute(
                f'ALTER TABLE "guild_{ids[500]}".member ALTER COLUMN level DROP DEFAULT'
            )
            drifted = await verify_schemas(conn, ddl=tenancy.tenant_ddl)
        finally:
            await conn.close()
    assert clean.ok and clean.checked == GUILDS and clean.lines() == []
    assert drifted.lines() == [
        f"guild {ids[500]} (guild_{ids[500]}): default of member.level missing"
    ]
