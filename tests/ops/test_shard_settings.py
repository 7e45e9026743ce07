"""Operators running several processes: bad shard settings stop every command; the doctor
budgets connections for PROCESS_COUNT processes."""

from __future__ import annotations

import asyncpg

from app.cli.doctor import budget_finding
from app.settings import load_settings


async def test_bad_shard_ids_stop_guildhall_with_one_line_and_exit_2(cli) -> None:
    """SHARD_IDS beyond SHARD_COUNT: `guildhall run` (and any command) exits 2, one line."""
    for command in (("run",), ("tenants", "list")):
        result = await cli(*command, SHARD_COUNT="4", SHARD_IDS="2-5", DISCORD_TOKEN="x.y.z")
        assert result.code == 2, result
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert "SHARD_IDS" in result.stderr and "outside 0-3" in result.stderr


async def test_doctor_budgets_connections_for_every_process(tenancy) -> None:
    """A budget that fits one process is over for three; the fix sizes the cache for three."""
    conn = await asyncpg.connect(tenancy.address.dsn)
    try:
        available = await conn.fetchval(
            "SELECT current_setting('max_connections')::int "
            "- current_setting('superuser_reserved_connections')::int"
        )
        cache = available // 2 - 11  # + shared pool 10 + listener 1 = half the server
        one = await budget_finding(
            conn, load_settings(_env_file=None, tenant_cache_size=cache, tenant_pool_max=1)
        )
        three = await budget_finding(
            conn,
            load_settings(
                _env_file=None, tenant_cache_size=cache, tenant_pool_max=1, process_count=3
            ),
        )
    finally:
        await conn.close()
    assert one.level == "ok", one
    assert three.level == "error", three
    assert f"x 3 processes (PROCESS_COUNT) = {3 * (cache + 11)}" in three.message
    assert f"lower TENANT_CACHE_SIZE to {available // 3 - 11} or less" in three.fix
