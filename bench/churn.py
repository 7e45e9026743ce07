"""Throughput with more active guilds than pinned slots: ``python -m bench churn``.

Provisions ``--guilds`` guilds (default 10,000) in a scratch database, then runs ``--tasks``
concurrent tasks for ``--seconds`` per workload, each operation one primary-key lookup inside
its own ``async with guild_db(guild_id)`` lease, with the default connection budget:

* ``all_hit`` — a set of guilds half as large as the pinned slots (warmed first): every
  lease is a pinned hit;
* ``zipf`` — guilds drawn from a Zipf distribution (s = 1.1) over all guilds;
* ``uniform`` — guilds drawn uniformly from all guilds.

While it runs, this process's connections in ``pg_stat_activity`` are sampled every 20 ms;
the peak is reported beside the budget. ``--json`` prints one object.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import random
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from app.models.tenant import Member
from app.tenancy import guild_db
from app.tenancy.connections.budget import ConnectionBudget
from app.tenancy.registry.runtime import Tenancy
from bench._support import percentile, scratch_tenancy

FIRST_GUILD = 10**17
Picker = Callable[[random.Random], int]


def zipf_picker(guilds: list[int], s: float) -> Picker:
    """Draw guilds with probability proportional to 1 / rank**s."""
    cumulative = list(itertools.accumulate(1 / rank**s for rank in range(1, len(guilds) + 1)))
    total = cumulative[-1]
    return lambda rng: guilds[bisect.bisect_left(cumulative, rng.random() * total)]


async def _provision(tenancy: Tenancy, count: int, jobs: int) -> list[int]:
    guilds = list(range(FIRST_GUILD, FIRST_GUILD + count))
    for start in range(0, count, 500):
        batch = guilds[start : start + 500]
        results = await tenancy.provision_many(batch, jobs=jobs)
        failed = [r for r in results if r.error]
        if failed:
            raise SystemExit(f"provisioning failed: {failed[0].error}")
    return guilds


async def _sample_peak(dsn: str, stop: asyncio.Event) -> int:
    """The most connections of this database (but the sampler's own) seen at once."""
    conn = await asyncpg.connect(dsn)
    peak = 0
    try:
        while not stop.is_set():
            n = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            peak = max(peak, int(n))
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    return peak


#: The catalogs that provisioning thousands of schemas grows (the shared ones included).
_GROWN_CATALOGS = (
    "pg_class, pg_attribute, pg_type, pg_depend, pg_shdepend, pg_index, pg_constraint,"
    " pg_namespace, pg_attrdef, pg_description, pg_authid, pg_auth_members"
)


async def _settle(dsn: str, limit_s: float = 180.0) -> float:
    """Vacuum and analyse the catalogs provisioning grew, then wait (at most ``limit_s``)
    until no autovacuum worker runs in this database. Returns the seconds it took.

    Creating thousands of schemas leaves the catalogs for autovacuum to process, which takes
    one of this machine's two cores for minutes: measured before it ends, the first workload
    would pay for it. Waiting for autovacuum alone is not enough: right after a fast
    provisioning it may not have started yet, so the catalogs are vacuumed here (a login
    that does not own them gets a warning per catalog and autovacuum does it instead).
    """
    conn = await asyncpg.connect(dsn)
    began = time.perf_counter()
    try:
        await conn.execute(f"VACUUM (ANALYZE) {_GROWN_CATALOGS}")
        while time.perf_counter() - began < limit_s:
            busy = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE backend_type = 'autovacuum worker' AND datname = current_database()"
            )
            if not busy:
                break
            await asyncio.sleep(1)
    finally:
        await conn.close()
    return time.perf_counter() - began


async def _workload(pick: Picker, tasks: int, seconds: float, seed: int) -> dict[str, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        while time.perf_counter() < deadline:
            guild_id = pick(rng)
            start = time.perf_counter()
            async with guild_db(guild_id):
                await Member.get_or_none(id=1)
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(tasks)))
    elapsed = time.perf_counter() - began
    return {
        "ops_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }


async def _measured(
    tenancy: Tenancy, pick: Picker, args: argparse.Namespace, seed: int
) -> dict[str, float]:
    """One workload, with the tiers' counters over it."""
    shared = tenancy.connections.shared
    before = tenancy.connections.stats()
    borrowed, overtakes = shared.borrowed, shared.overtakes
    result = await _workload(pick, args.tasks, args.seconds, seed)
    after = tenancy.connections.stats()
    shared_leases = after.shared_leases - before.shared_leases
    leases = (after.hits - before.hits) + shared_leases
    result["pinned_hit_rate"] = round((after.hits - before.hits) / leases, 3)
    result["promotions"] = after.promotions - before.promotions
    # Shared leases served by the guild's home pool (warm catalog caches there).
    result["shared_home_rate"] = round(1 - (shared.borrowed - borrowed) / max(1, shared_leases), 3)
    result["overtakes"] = shared.overtakes - overtakes
    return result


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    budget = ConnectionBudget.split(args.budget)
    async with scratch_tenancy(budget=budget) as tenancy:
        if not args.json:
            print(f"provisioning {args.guilds} guilds …", flush=True)
        started = time.perf_counter()
        guilds = await _provision(tenancy, args.guilds, args.jobs)
        provision_s = time.perf_counter() - started
        settle_s = await _settle(tenancy.address.dsn)
        if not args.json:
            print(f"provisioned in {provision_s:.0f} s; catalogs vacuumed in {settle_s:.0f} s")
        hot = guilds[: max(1, budget.pinned_slots // 2)]
        for _ in range(5):  # warm: the hot set earns its pinned slots
            for guild_id in hot:
                async with guild_db(guild_id):
                    await Member.get_or_none(id=1)
            await tenancy.connections.pinned.wait_idle()
        pickers: dict[str, Picker] = {
            "all_hit": lambda rng: rng.choice(hot),
            "zipf": zipf_picker(guilds, 1.1),
            "uniform": lambda rng: rng.choice(guilds),
        }
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_peak(tenancy.address.dsn, stop))
        workloads = {}
        for index, (name, pick) in enumerate(pickers.items()):
            workloads[name] = await _measured(tenancy, pick, args, index)
            if not args.json:
                print(f"{name:>8}: {workloads[name]}", flush=True)
        stop.set()
        peak = await sampler
    return {
        "guilds": args.guilds,
        "tasks": args.tasks,
        "seconds": args.seconds,
        "provision_s": round(provision_s, 1),
        "settle_s": round(settle_s, 1),
        "workloads": workloads,
        "peak_connections": peak,
        "budget": budget.total,
        "split": {
            "pinned_slots": budget.pinned_slots,
            "pinned_pool_max": budget.pinned_pool_max,
            "shared_tier": budget.shared_tier,
            "registry_pool": budget.registry_pool,
        },
    }


def main(argv: list[str]) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench churn")
    parser.add_argument("--guilds", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--budget", type=int, default=40, help="DB_CONNECTION_BUDGET")
    parser.add_argument("--jobs", type=int, default=4, help="provisioning concurrency")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(_run(args))
    if args.json:
        print(json.dumps(result))
    else:
        ok = result["peak_connections"] <= result["budget"]
        print(
            f"peak connections {result['peak_connections']} / budget {result['budget']}"
            f" ({'within' if ok else 'OVER'})"
        )
    return 0
