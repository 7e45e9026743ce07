"""kill -9 of `tenants provision` and `tenants import` at several points: nothing half-done,
and a rerun completes (issue 13, fault tests)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import asyncpg
import pytest

from app.tenancy.guild_data.tables import FORMAT
from app.tenancy.naming import schema_for

PROVISIONED = 40
IMPORTED_ROWS = 150_000


async def _start(tenancy, *args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENANT_", "LOG_"))}
    env["DATABASE_URL"] = tenancy.address.dsn
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", *args, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _kill_when(process: asyncio.subprocess.Process, started, timeout_s: float = 60) -> bool:
    """SIGKILL ``process`` as soon as ``await started()`` is true; False if it ended first."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    try:
        while process.returncode is None and asyncio.get_running_loop().time() < deadline:
            if await started():
                process.send_signal(signal.SIGKILL)
                return True
            await asyncio.sleep(0.005)
        return False
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()


async def _registered_and_schemas(admin, guilds: list[int]) -> tuple[set[int], set[int]]:
    """Guilds with a registry row, guilds with a schema: one statement, so one snapshot."""
    row = await admin.fetchrow(
        "SELECT ARRAY(SELECT guild_id FROM shared.tenant WHERE guild_id = ANY($1::bigint[]))"
        " AS registered, ARRAY(SELECT nspname::text FROM pg_namespace"
        " WHERE nspname = ANY($2::text[])) AS schemas",
        guilds,
        [schema_for(g) for g in guilds],
    )
    by_schema = {schema_for(g): g for g in guilds}
    return set(row["registered"]), {by_schema[name] for name in row["schemas"]}


@pytest.mark.parametrize("after", [1, 10, 25])
async def test_killed_provision_leaves_each_guild_whole_or_absent(
    tenancy, new_guild_id, after: int
) -> None:
    """Killed once `after` guilds exist: each guild has row and schema, or neither; a rerun
    provisions every one."""
    guilds = [next(new_guild_id) for _ in range(PROVISIONED)]
    admin = await asyncpg.connect(tenancy.address.dsn)
    try:

        async def some_made() -> bool:
            registered, _ = await _registered_and_schemas(admin, guilds)
            return len(registered) >= after

        process = await _start(tenancy, "tenants", "provision", *map(str, guilds), "--jobs", "2")
        killed = await _kill_when(process, some_made)
        registered, schemas = await _registered_and_schemas(admin, guilds)
        assert registered == schemas, "a guild was left half-provisioned"
        assert killed, "provision ended before it was killed"
        rerun = await _start(tenancy, "tenants", "provision", *map(str, guilds))
        _, err = await asyncio.wait_for(rerun.communicate(), 120)
        assert rerun.returncode == 0, err.decode()
        registered, schemas = await _registered_and_schemas(admin, guilds)
        assert registered == schemas == set(guilds)
    finally:
        await admin.close()


@pytest.mark.parametrize("delay_s", [0.0, 0.4])
async def test_killed_import_writes_nothing_and_a_rerun_imports_all(
    tenancy, provisioned, tmp_path: Path, delay_s: float
) -> None:
    """Killed while its transaction is writing: no row is left; the same import then succeeds."""
    guild = await provisioned()
    document = tmp_path / "big.json"
    rows = ",".join(f'{{"user_id": {n}, "xp": {n}}}' for n in range(1, IMPORTED_ROWS + 1))
    document.write_text(json.dumps({"format": FORMAT, "version": 1})[:-1] + ', "tables": '
                        f'{{"member": [{rows}]}}}}')  # fmt: skip
    schema = schema_for(guild)
    admin = await asyncpg.connect(tenancy.address.dsn)
    try:

        async def writing() -> bool:
            busy = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query ILIKE 'INSERT INTO%member%' AND pid <> pg_backend_pid() "
                "AND datname = current_database()"  # not another test run's inserts
            )
            if busy:
                await asyncio.sleep(delay_s)
            return bool(busy)

        process = await _start(tenancy, "tenants", "import", str(guild), str(document))
        assert await _kill_when(process, writing), "the import ended before it was killed"
        # The server rolls the transaction back once it sees the client gone.
        count = f'SELECT count(*) FROM "{schema}".member'
        for _ in range(500):
            idle = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'INSERT INTO%member%' "
                "AND pid <> pg_backend_pid() AND state <> 'idle' AND datname = current_database()"
            )
            if not idle:
                break
            await asyncio.sleep(0.02)
        assert await admin.fetchval(count) == 0
        rerun = await _start(tenancy, "tenants", "import", str(guild), str(document))
        _, err = await asyncio.wait_for(rerun.communicate(), 180)
        assert rerun.returncode == 0, err.decode()
        assert await admin.fetchval(count) == IMPORTED_ROWS
    finally:
        await admin.close()
