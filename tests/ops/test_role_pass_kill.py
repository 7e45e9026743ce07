"""The role pass of `guildhall db migrate` survives kill -9: nothing half-given; a rerun ends."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import asyncpg

from app.tenancy.migrations.role_pass import schemas_without_role
from app.tenancy.naming import quote_role, schema_for

GUILDS = 150

_HALF_GIVEN = """
SELECT n.nspname FROM pg_namespace n JOIN pg_roles r ON r.rolname = $1 || substr(n.nspname, 7)
WHERE n.nspname = ANY($2::text[])
  AND has_schema_privilege(r.oid, n.oid, 'USAGE')
  AND EXISTS (SELECT FROM pg_class c WHERE c.relnamespace = n.oid
              AND c.relkind = 'r' AND c.relowner <> r.oid)
"""


def _migrate_process(tenancy) -> asyncio.Future:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENANT_", "LOG_"))}
    env["DATABASE_URL"] = tenancy.address.dsn
    return asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "app", "db", "migrate", "--tenants-only"),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    )


async def _kill_mid_pass(tenancy, admin, schemas: list[str]) -> int:
    """Start `db migrate`, SIGKILL it once some but not all schemas got their role; return
    how many were still without one."""
    process = await _migrate_process(tenancy)
    try:
        for _ in range(3000):
            left = set(schemas) & set(await schemas_without_role(admin, tenancy.address.database))
            if len(left) < len(schemas):
                return len(left)
            await asyncio.sleep(0.01)
        raise AssertionError("the role pass never started")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()


async def test_a_killed_role_pass_leaves_no_half_given_schema(tenancy, provisioned) -> None:
    """kill -9 during the pass: each schema has its role fully or not at all; a rerun ends it."""
    guilds = [await provisioned() for _ in range(GUILDS)]
    schemas = [schema_for(g) for g in guilds]
    admin = await asyncpg.connect(tenancy.address.dsn)
    try:
        for guild_id in guilds:
            role = quote_role(tenancy.role_for(guild_id))
            await admin.execute(
                f"REASSIGN OWNED BY {role} TO CURRENT_USER; DROP OWNED BY {role}; DROP ROLE {role}"
            )
        database = tenancy.address.database
        before = set(await schemas_without_role(admin, database))
        assert set(schemas) <= before
        left = await _kill_mid_pass(tenancy, admin, schemas)
        assert 0 < left < GUILDS  # killed in the middle of the pass
        prefix = f"gh_{tenancy.role_tag}_"
        assert await admin.fetch(_HALF_GIVEN, prefix, schemas) == []
        rerun = await _migrate_process(tenancy)
        assert await asyncio.wait_for(rerun.wait(), 120) == 0
        assert set(schemas).isdisjoint(await schemas_without_role(admin, database))
    finally:
        await admin.close()
