"""``guildhall db verify`` speed: ``python -m bench verify [--guilds 10000]``.

In a scratch database (dropped at the end): build ``--guilds`` guild schemas as provisioning
makes them (in large transactions, :mod:`bench._fleet`), then time ``guildhall db verify
--json`` over all of them as a subprocess (the command an operator runs; default ``--jobs 2``,
then ``--jobs 1``), and once more after sabotaging one guild, which must then be the only
one named.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

import asyncpg

from app.tenancy.connections.config import ServerAddress
from app.tenancy.schemas.verify import tenant_head_ddl
from bench._fleet import build_guilds, create_shared
from bench._support import scratch_database

MAX_GUILDS = 20_000
#: The catalogs ``db verify`` reads.
_CATALOGS = (
    "pg_namespace",
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_index",
    "pg_constraint",
    "pg_sequence",
    "pg_depend",
    "pg_trigger",
)


def _verify(address: ServerAddress, *options: str) -> tuple[float, int, Any]:
    """Run ``python -m app db verify --json``: (wall seconds, exit code, parsed output)."""
    env = dict(os.environ, DATABASE_URL=address.dsn, LOG_LEVEL="WARNING")
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own CLI, options from this module)
        [sys.executable, "-m", "app", "db", "verify", "--json", *options],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"guildhall db verify failed ({done.returncode}): {done.stderr}")
    return elapsed, done.returncode, json.loads(done.stdout)


async def _settle(address: ServerAddress) -> float:
    """Read the catalogs once, as any query on a live database long since has.

    Rows written a moment ago carry no hint bits yet: their first reader looks up each
    transaction's commit status and dirties every catalog page (seconds at 10,000 guilds,
    once). A benchmark run straight after a bulk build would time that, not ``db verify``.
    """
    start = time.perf_counter()
    conn = await asyncpg.connect(address.dsn)
    try:
        for catalog in _CATALOGS:
            await conn.fetchval(f"SELECT count(*) FROM pg_catalog.{catalog}")
    finally:
        await conn.close()
    return time.perf_counter() - start


async def _run(guilds: int, jobs: int) -> None:
    async with scratch_database() as address:
        ddl = await tenant_head_ddl(address)
        await create_shared(address)
        ids = [10**17 + n for n in range(guilds)]
        start = time.perf_counter()
        await build_guilds(address, ids, ddl, jobs=jobs)
        elapsed = time.perf_counter() - start
        print(f"built {guilds} guild schemas in {elapsed:.1f} s ({guilds / elapsed:.0f}/s)")
        print(f"catalog settled in {await _settle(address):.1f} s (untimed, see _settle)")
        wall, code, report = await asyncio.to_thread(_verify, address)
        if code != 0 or report["checked"] != guilds:
            raise SystemExit(f"a clean database did not verify clean: {report}")
        print(
            f"db verify, clean: {guilds} schemas checked in {report['seconds']:.2f} s "
            f"(command wall time {wall:.2f} s incl. start-up)"
        )
        wall, code, report = await asyncio.to_thread(_verify, address, "--jobs=1")
        print(f"db verify --jobs 1, clean: {report['seconds']:.2f} s ({wall:.2f} s wall)")
        conn = await asyncpg.connect(address.dsn)
        try:
            await conn.execute(f'ALTER TABLE "guild_{ids[guilds // 2]}".tag ADD extra int')
        finally:
            await conn.close()
        wall, code, report = await asyncio.to_thread(_verify, address)
        named = [d["summary"] for d in report["drifted"]]
        if code != 1 or len(named) != 1:
            raise SystemExit(f"the sabotaged guild was not the only one named: {named[:5]}")
        print(f"db verify, one guild drifted: {report['seconds']:.2f} s ({wall:.2f} s wall)")
        print(f"  {named[0]}")


def main(argv: list[str]) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench verify")
    parser.add_argument("--guilds", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2, help="connections building schemas")
    args = parser.parse_args(argv)
    if not 1 <= args.guilds <= MAX_GUILDS:
        parser.error(f"--guilds must be between 1 and {MAX_GUILDS}")
    asyncio.run(_run(args.guilds, args.jobs))
    return 0
