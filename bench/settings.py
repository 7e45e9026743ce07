"""Guild settings on the XP path: ``python -m bench settings [--reads 2000] [--changes 200]``.

(a) What reading a guild's settings costs per message inside the binding the XP path holds
anyway: from this process's cache (what the XP path does) versus loading them from the
guild's schema each time (two queries).
(b) How long a change committed by another process (a plain connection sending the same
NOTIFY ``/config`` sends) takes to drop this process's cached copy, through the listener.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg

from app.cogs import _guild_settings as guild_settings
from app.tenancy import SHARED_ALIAS, Tenancy, current_tenancy, guild_db
from app.tenancy.migrations.applier import migrate_shared
from app.tenancy.registry.guild_cache import change_notice
from bench._support import describe_ms, percentile, scratch_database

GUILD = 10**17


async def _reads(reads: int, *, cached: bool) -> list[float]:
    """Read the settings ``reads`` times inside one binding (the binding's own cost, which
    the XP path pays anyway, is left out)."""
    cache = current_tenancy().guild_caches.kind(guild_settings.KIND)
    samples = []
    async with guild_db(GUILD):
        for _ in range(reads):
            if not cached:
                cache.invalidate(GUILD)
            start = time.perf_counter()
            await guild_settings.current(GUILD)
            samples.append(time.perf_counter() - start)
    return samples


async def _propagation(dsn: str, changes: int) -> list[float]:
    cache = current_tenancy().guild_caches.kind(guild_settings.KIND)
    other = await asyncpg.connect(dsn)  # stands for another bot process or the CLI
    samples = []
    try:
        for _ in range(changes):
            async with guild_db(GUILD):
                await guild_settings.current(GUILD)  # cached again
            start = time.perf_counter()
            await other.execute("SELECT pg_notify($1, $2)", *change_notice(GUILD))
            for _ in range(50_000):  # at most ~10 s, then the sample shows it
                if cache.peek(GUILD) is None:
                    break
                await asyncio.sleep(0.0002)
            samples.append(time.perf_counter() - start)
    finally:
        await other.close()
    return samples


async def _run(reads: int, changes: int) -> None:
    async with scratch_database() as address:
        tenancy = Tenancy(address, listen=True)
        await tenancy.start()
        try:
            await migrate_shared(SHARED_ALIAS)
            await tenancy.provision(GUILD)
            async with guild_db(GUILD):
                await guild_settings.update(GUILD, level_up_mode="same")
                await guild_settings.set_no_xp_channel(GUILD, 1, no_xp=True)
            await _reads(50, cached=True)  # warm the client and the statement caches
            cached = await _reads(reads, cached=True)
            print(
                "settings read in a binding, cached:",
                f"p50 {percentile(cached, 50) * 1e6:.1f} µs,",
                f"p95 {percentile(cached, 95) * 1e6:.1f} µs",
            )
            print(
                "settings read in a binding, loaded:",
                describe_ms(await _reads(reads, cached=False)),
            )
            print("change in another process -> copy dropped:", describe_ms(
                await _propagation(address.dsn, changes)))  # fmt: skip
        finally:
            await tenancy.close()


def main(argv: list[str]) -> int:
    """Parse options and run."""
    parser = argparse.ArgumentParser(prog="python -m bench settings")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.reads, args.changes))
    return 0
