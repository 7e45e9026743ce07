"""Operators running several processes: bad shard settings stop every command; the doctor
checks that PROCESS_COUNT fits SHARD_IDS."""

from __future__ import annotations

from app.cli.doctor_shards import shards_finding
from app.settings import load_settings


async def test_bad_shard_ids_stop_guildhall_with_one_line_and_exit_2(cli) -> None:
    """SHARD_IDS beyond SHARD_COUNT: `guildhall run` (and any command) exits 2, one line."""
    for command in (("run",), ("tenants", "list")):
        result = await cli(*command, SHARD_COUNT="4", SHARD_IDS="2-5", DISCORD_TOKEN="x.y.z")
        assert result.code == 2, result
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert "SHARD_IDS" in result.stderr and "outside 0-3" in result.stderr


def test_doctor_warns_when_shard_ids_imply_processes_process_count_leaves_out() -> None:
    """SHARD_IDS 0-1 of 4 with PROCESS_COUNT 1: a warning with the fix; 2 processes: ok."""
    alone = shards_finding(load_settings(_env_file=None, shard_count="4", shard_ids="0-1"))
    assert alone.level == "warning"
    assert "shards 0-1 of SHARD_COUNT 4" in alone.message and "the other 2" in alone.message
    assert "PROCESS_COUNT" in alone.fix
    counted = shards_finding(
        load_settings(_env_file=None, shard_count="4", shard_ids="0-1", process_count="2")
    )
    assert counted.level == "ok" and "2 bot process(es)" in counted.message
    assert shards_finding(load_settings(_env_file=None, shard_count="4")).level == "ok"
    assert shards_finding(load_settings(_env_file=None)).level == "ok"
