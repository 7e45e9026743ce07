"""``guildhall doctor``: do the shard settings and ``PROCESS_COUNT`` tell the same story?

A process whose ``SHARD_IDS`` leave out some of ``SHARD_COUNT``'s shards implies other
processes serve the rest; they all share the database, so the connection check must count
them (README, "Many processes (sharding)").
"""

from __future__ import annotations

from app.cli._findings import Finding
from app.settings import Settings
from app.sharding import format_shard_ids


def shards_finding(settings: Settings) -> Finding:
    """How this process shards, and a warning when PROCESS_COUNT cannot be right."""
    scope, processes = settings.shard_scope, settings.process_count
    if scope is None:
        return Finding(
            "shards",
            "ok",
            "every shard Discord recommends, in this process"
            + (f" (PROCESS_COUNT {processes})" if processes > 1 else ""),
        )
    served = f"shards {format_shard_ids(scope.shard_ids)} of SHARD_COUNT {scope.shard_count}"
    others = scope.shard_count - len(scope.shard_ids)
    if others and processes == 1:
        return Finding(
            "shards",
            "warning",
            f"this process serves {served}; other processes must serve the other {others}, "
            "but PROCESS_COUNT is 1, so the connection check counts this process only",
            "set PROCESS_COUNT to the number of bot processes sharing the database",
        )
    return Finding("shards", "ok", f"{served}; {processes} bot process(es) on the database")
