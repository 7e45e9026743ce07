"""Fleet migration speed: ``python -m bench migrate [--guilds 1000] [--jobs 2]``.

In a scratch database (dropped at the end): provision ``--guilds`` guild schemas, write an
add-column tenant migration into a temporary copy of the migrations folder, and time
``guildhall db migrate --jobs N --json`` over all of them as a subprocess (the command an
operator runs). ``--jobs 1,2,4`` runs one fresh migration per value. Then a re-run with
nothing behind and ``guildhall db status`` are timed: both are a few queries at any scale.

``--under-load``: ``--tasks`` tasks serve guilds (:mod:`bench._under_load`) for
``--baseline`` seconds, then go on serving while the first migration runs; the operation
latency p50/p99 before and during, and the failures, are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.tenancy.connections.config import ServerAddress
from app.tenancy.migrations.files import list_migrations, migrations_root
from bench._support import scratch_tenancy
from bench._under_load import serve, serve_for

MAX_GUILDS = 20_000

_TEMPLATE = '''from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "member" ADD "{column}" VARCHAR(50);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "member" DROP COLUMN "{column}";"""


'''


def _add_column_migration(root: Path, column: str) -> str:
    newest = list_migrations("tenant", root)[-1]
    text = newest.path.read_text()
    version = f"{newest.number + 1}_20990101000000_bench_{column}.py"
    state = text[text.index("MODELS_STATE") :]
    (root / "tenant" / version).write_text(_TEMPLATE.format(column=column) + state)
    return version


def _guildhall(address: ServerAddress, *args: str) -> tuple[float, Any]:
    """Run ``python -m app <args> --json``; return (wall seconds, parsed output)."""
    env = dict(os.environ, DATABASE_URL=address.dsn, LOG_LEVEL="WARNING")
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own CLI, fixed arguments)
        [sys.executable, "-m", "app", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"guildhall {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return elapsed, json.loads(done.stdout)


@dataclass(frozen=True)
class Load:
    """``--under-load``: serving tasks and the seconds served before the migration."""

    tasks: int
    baseline_s: float


async def _migrate_once(
    address: ServerAddress, root: Path, jobs: int, batch: int, ids: list[int], load: Load | None
) -> tuple[float, Any]:
    """One ``db migrate`` of every guild; with ``load``, served before and during."""
    command = ("db", "migrate", f"--jobs={jobs}", f"--batch={batch}", f"--migrations={root}")
    if load is None:
        return await asyncio.to_thread(_guildhall, address, *command)
    before = await serve_for(ids, load.tasks, load.baseline_s)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(ids, load.tasks, stop))
    try:
        result = await asyncio.to_thread(_guildhall, address, *command)
    finally:
        ended = time.perf_counter()
        stop.set()
        served = await serving
    # Only what was served while the runner worked, not during the CLI's start-up.
    during = served.between(ended - float(result[1]["summary"]["seconds"]), ended)
    print(f"serving with {load.tasks} tasks over {len(ids)} guilds:")
    print(before.line("before"))
    print(during.line("during"))
    print(f"(whole command, start-up included: {served.line('').strip()})")
    for error in before.errors + during.errors:
        print(f"  failure: {error}")
    return result


async def _run(
    guilds: int, jobs_list: list[int], provision_jobs: int, batch: int, load: Load | None = None
) -> None:
    async with scratch_tenancy() as tenancy:
        ids = [10**17 + n for n in range(guilds)]
        start = time.perf_counter()
        for chunk in range(0, guilds, 1000):
            results = await tenancy.provision_many(ids[chunk : chunk + 1000], jobs=provision_jobs)
            failed = [r for r in results if r.error]
            if failed:
                raise SystemExit(f"provisioning failed: {failed[0].error}")
        elapsed = time.perf_counter() - start
        print(f"provisioned {guilds} guild schemas in {elapsed:.1f} s ({guilds / elapsed:.0f}/s)")
        address = tenancy.address
        with tempfile.TemporaryDirectory(prefix="guildhall-bench-") as folder:
            root = Path(folder) / "migrations"
            shutil.copytree(migrations_root(), root, ignore=shutil.ignore_patterns("__pycache__"))
            for jobs in jobs_list:
                version = _add_column_migration(root, f"col_j{jobs}")
                wall, report = await _migrate_once(address, root, jobs, batch, ids, load)
                load = None  # serve during the first migration only
                summary = report["summary"]
                if summary["migrated"] != guilds or summary["failed"]:
                    raise SystemExit(f"unexpected result: {summary}")
                print(
                    f"migrate --jobs {jobs}: {guilds} schemas to {version} in "
                    f"{summary['tenant_seconds']:.2f} s = {summary['schemas_per_second']:.0f} "
                    f"schemas/s (command wall time {wall:.2f} s incl. start-up)"
                )
            wall, report = await asyncio.to_thread(
                _guildhall, address, "db", "migrate", f"--migrations={root}"
            )
            print(
                f"re-run with nothing behind: {report['summary']['behind']} touched, "
                f"{report['summary']['tenant_seconds'] * 1000:.0f} ms in the runner, "
                f"wall {wall:.2f} s"
            )
            wall, status = await asyncio.to_thread(
                _guildhall, address, "db", "status", f"--migrations={root}"
            )
            print(
                f"status: {status['tenants']['guilds']} guild schemas, "
                f"{status['tenants']['behind']} behind, wall {wall:.2f} s"
            )


def main(argv: list[str]) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench migrate")
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--jobs", default="2", help="comma-separated, e.g. 1,2,4")
    parser.add_argument("--provision-jobs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--under-load", action="store_true", help="serve while migrating")
    parser.add_argument("--tasks", type=int, default=16, help="serving tasks (--under-load)")
    parser.add_argument("--baseline", type=float, default=10.0, help="seconds served before")
    args = parser.parse_args(argv)
    if not 1 <= args.guilds <= MAX_GUILDS:
        parser.error(f"--guilds must be between 1 and {MAX_GUILDS}")
    jobs = [int(j) for j in args.jobs.split(",")]
    load = Load(args.tasks, args.baseline) if args.under_load else None
    asyncio.run(_run(args.guilds, jobs, args.provision_jobs, args.batch, load))
    return 0
