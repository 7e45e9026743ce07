"""Operators running several processes: bad shard settings stop every command."""

from __future__ import annotations


async def test_bad_shard_ids_stop_guildhall_with_one_line_and_exit_2(cli) -> None:
    """SHARD_IDS beyond SHARD_COUNT: `guildhall run` (and any command) exits 2, one line."""
    for command in (("run",), ("tenants", "list")):
        result = await cli(*command, SHARD_COUNT="4", SHARD_IDS="2-5", DISCORD_TOKEN="x.y.z")
        assert result.code == 2, result
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert "SHARD_IDS" in result.stderr and "outside 0-3" in result.stderr
