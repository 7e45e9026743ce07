"""The load side of the connection-limit fault test, run as its own process.

``python -m tests.reliability.conn_limit_load DSN GUILDS TASKS SECONDS``: opens the tenancy core
on DSN with the default connection budget (40), whatever the login may really open, provisions
GUILDS guilds, then runs TASKS tasks of guild reads and writes for SECONDS — a few hot guilds
(so the pinned tier promotes them) and many others (the shared tier) — and prints one JSON line:
operations that succeeded, failures by error type and message, and how many times the process
tried to open a server connection. Its own process, because the tenancy core is process-wide
state (and the connection counter patches asyncpg).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import asyncpg.connection
import asyncpg.pool

from app.log import setup_logging
from app.models.tenant import Member
from app.tenancy import guild_db, open_tenancy

FIRST_GUILD = 6 * 10**17
HOT_GUILDS = 4

attempts = 0


def _count_connects() -> None:
    """Count every connection attempt: asyncpg pools and ``asyncpg.connect`` both go through
    ``asyncpg.connection.connect``."""
    original = asyncpg.connection.connect

    async def counted(*args: Any, **kwargs: Any) -> Any:
        global attempts
        attempts += 1
        return await original(*args, **kwargs)

    asyncpg.connection.connect = counted
    asyncpg.connect = counted


async def _work(guilds: list[int], until: float, seed: int, outcomes: Counter[str]) -> None:
    rng = random.Random(f"{os.getpid()}-{seed}")  # new members, run after run
    while time.monotonic() < until:
        # Half the operations on a few hot guilds (pinned), half spread over the rest.
        guild_id = rng.choice(guilds[:HOT_GUILDS] if rng.random() < 0.5 else guilds)
        try:
            async with guild_db(guild_id):
                member = await Member.create(user_id=rng.randrange(1, 2**62))
                await Member.filter(id=member.id).update(xp=member.xp + 1)
                await asyncio.sleep(0.002)  # a lease is held a little while, as a command does
            outcomes["ok"] += 1
        except Exception as exc:  # what the user would be told: counted, the test judges it
            outcomes[f"{type(exc).__name__}: {str(exc).splitlines()[0]}"] += 1
            await asyncio.sleep(0.05)


async def main(dsn: str, guild_count: int, tasks: int, seconds: float) -> None:
    setup_logging("WARNING", "text")
    _count_connects()
    with tempfile.TemporaryDirectory() as data_dir:
        async with open_tenancy(database_url=dsn, data_dir=Path(data_dir), listen=True) as core:
            guilds = [FIRST_GUILD + n for n in range(guild_count)]
            for guild_id in guilds:
                await core.provision(guild_id, f"guild {guild_id}")
            before = attempts
            outcomes: Counter[str] = Counter()
            until = time.monotonic() + seconds
            await asyncio.gather(*(_work(guilds, until, n, outcomes) for n in range(tasks)))
            stats = core.connections.stats()
            report = {
                "outcomes": dict(outcomes),
                "attempts_under_load": attempts - before,
                "open_connections": stats.open_connections,
                "pinned_clients": stats.pinned_clients,
                "budget": core.budget.total,
            }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    dsn, guilds, tasks, seconds = sys.argv[1:5]
    asyncio.run(main(dsn, int(guilds), int(tasks), float(seconds)))
