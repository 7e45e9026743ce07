"""The load side of the PostgreSQL restart test, run as its own process.

``python -m tests.reliability.restart_load DSN GUILDS TASKS``: opens the tenancy core on DSN
(logging set up as ``guildhall`` does), provisions GUILDS guilds, prints ``ready``, then runs
TASKS tasks of guild reads and writes until its standard input closes (the test decides how
long: a restart's length varies with the machine's load) and prints one JSON line: every
operation's wall-clock time and whether it succeeded. Its own process, because the tenancy core
is process-wide state and the test process already runs one.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from app.log import setup_logging
from app.models.tenant import Member
from app.tenancy import guild_db, open_tenancy
from app.tenancy.connections.budget import ConnectionBudget

FIRST_GUILD = 5 * 10**17


async def _work(
    guilds: list[int], stop: asyncio.Event, seed: int, ops: list[tuple[float, bool]]
) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        guild_id = rng.choice(guilds)
        started = time.time()
        try:
            async with guild_db(guild_id):
                member = await Member.create(user_id=rng.randrange(1, 2**62))
                await Member.filter(id=member.id).update(xp=member.xp + 1)
            ops.append((started, True))
        except Exception:  # the outage: counted, and the test checks when they happened
            ops.append((started, False))
            await asyncio.sleep(0.05)


async def main(dsn: str, guild_count: int, tasks: int) -> None:
    setup_logging("WARNING", "text")
    # 4 pinned guilds and a shared tier: both connection tiers see the restart.
    budget = ConnectionBudget.split(16, pinned_pool_max=1, pinned_slots=4)
    with tempfile.TemporaryDirectory() as data_dir:
        async with open_tenancy(
            database_url=dsn, data_dir=Path(data_dir), budget=budget, listen=True
        ) as tenancy:
            guilds = [FIRST_GUILD + n for n in range(guild_count)]
            for guild_id in guilds:
                await tenancy.provision(guild_id, f"guild {guild_id}")
            print("ready", flush=True)
            ops: list[tuple[float, bool]] = []
            stop = asyncio.Event()
            work = asyncio.gather(*(_work(guilds, stop, n, ops) for n in range(tasks)))
            await asyncio.to_thread(sys.stdin.read)  # until the test closes our stdin
            stop.set()
            await work
            print(json.dumps(ops), flush=True)


if __name__ == "__main__":
    dsn, guilds, tasks = sys.argv[1:4]
    asyncio.run(main(dsn, int(guilds), int(tasks)))
