"""Per-shard reconcile and status fan-out: ``python -m bench shards [--guilds 20000]
[--shard-count 16] [--absent 0.1] [--rounds 10] [--changes 200]``.

(a) A registry of ``--guilds`` guilds spread over ``--shard-count`` shards; a process
reconciles shard 0, whose READY lists all but ``--absent`` of its guilds: the time of
``mark_absent_left`` (one statement, a NOTIFY per guild marked), reset between rounds.
(b) A status change (``Tenancy.disable`` / ``enable``) until another connection that LISTENs,
as every other bot process does, receives its NOTIFY.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg

from app.models.shared import Tenant, TenantStatus
from app.sharding import ShardScope, shard_of
from app.tenancy.naming import schema_for
from app.tenancy.registry.listener import CHANNEL
from app.tenancy.registry.runtime import Tenancy
from app.tenancy.registry.shard_reconcile import mark_absent_left
from bench._support import describe_ms, scratch_tenancy

BASE_ID = 10**17


async def _registry(guilds: int) -> list[int]:
    """``guilds`` registry rows (no schemas: reconcile reads only the registry)."""
    ids = [BASE_ID + (n << 22) + n for n in range(guilds)]
    for start in range(0, guilds, 1000):
        await Tenant.bulk_create(
            [Tenant(guild_id=g, schema_name=schema_for(g)) for g in ids[start : start + 1000]]
        )
    return ids


async def _reconcile_rounds(ids: list[int], count: int, absent: float, rounds: int) -> None:
    shard = [g for g in ids if shard_of(g, count) == 0]
    gone = set(shard[: int(len(shard) * absent)])
    present = [g for g in shard if g not in gone]
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        marked = await mark_absent_left(ShardScope((0,), count), present)
        samples.append(time.perf_counter() - start)
        assert len(marked) == len(gone)
        await Tenant.filter(guild_id__in=list(gone)).update(
            status=TenantStatus.ACTIVE, left_at=None
        )
    print(
        f"reconcile shard 0 of {count} ({len(shard)} guilds, {len(gone)} absent) "
        f"in a registry of {len(ids)}: {describe_ms(samples)}"
    )


async def _fan_out(tenancy: Tenancy, guild_id: int, changes: int) -> None:
    other = await asyncpg.connect(tenancy.address.dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await other.add_listener(CHANNEL, lambda *args: heard.put_nowait(str(args[-1])))
    samples = []
    try:
        for n in range(changes):
            start = time.perf_counter()
            if n % 2:
                await tenancy.enable(guild_id)
            else:
                await tenancy.disable(guild_id, reason="bench")
            while await heard.get() != str(guild_id):
                pass
            samples.append(time.perf_counter() - start)
    finally:
        await other.close()
    print(f"status change until another process's listener hears it: {describe_ms(samples)}")


async def _run(args: argparse.Namespace) -> None:
    async with scratch_tenancy() as tenancy:
        ids = await _registry(args.guilds)
        await _reconcile_rounds(ids, args.shard_count, args.absent, args.rounds)
        await _fan_out(tenancy, ids[0], args.changes)


def main(argv: list[str]) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench shards")
    parser.add_argument("--guilds", type=int, default=20_000)
    parser.add_argument("--shard-count", type=int, default=16)
    parser.add_argument("--absent", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args(argv)
    asyncio.run(_run(args))
    return 0
