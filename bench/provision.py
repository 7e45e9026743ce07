"""Provisioning speed: ``python -m bench provision [--guilds 1000] [--jobs 4]``.

Per-guild latency of ``Tenancy.provision`` one after another (registry row + schema + tables +
aerich state in one transaction), then the throughput of ``provision_many`` with ``--jobs``.
Those are cold: no spare schema is ready, so every schema is built from the DDL.

Then warm: before each guild the pool is refilled to one spare (untimed, as the bot's
background refill does between joins), and ``Tenancy.provision`` renames it.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from app.tenancy.schemas.spares import refill_spares
from bench._support import MachineCpu, describe_ms, scratch_tenancy


async def _run(guilds: int, jobs: int) -> None:
    async with scratch_tenancy() as tenancy:
        base = 10**17
        samples = []
        cpu = MachineCpu()
        for offset in range(guilds):
            start = time.perf_counter()
            await tenancy.provision(base + offset)
            samples.append(time.perf_counter() - start)
        print(
            f"cold sequential provision of {guilds} guilds: {describe_ms(samples)};"
            f" {cpu.per(guilds)}"
        )
        ids = [2 * 10**17 + offset for offset in range(guilds)]
        start, cpu = time.perf_counter(), MachineCpu()
        results = await tenancy.provision_many(ids, jobs=jobs)
        elapsed = time.perf_counter() - start
        assert all(r.created for r in results)
        print(
            f"provision_many of {guilds} guilds, jobs={jobs}: {guilds / elapsed:.0f} guilds/s;"
            f" {cpu.per(guilds)}"
        )
        warm = []
        for offset in range(guilds):
            await refill_spares(
                tenancy.tenant_ddl, 1, tenancy.role_tag
            )  # untimed: the bot does it between joins
            start = time.perf_counter()
            result = await tenancy.provision(3 * 10**17 + offset)
            warm.append(time.perf_counter() - start)
            assert result.from_spare
        print(f"warm provision of {guilds} guilds (one spare ready): {describe_ms(warm)}")


def main(argv: list[str]) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench provision")
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.guilds, args.jobs))
    return 0
