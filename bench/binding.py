"""Binding overhead: ``python -m bench binding [--rounds 20] [--queries 500]``.

The same ORM primary-key query, (a) each inside ``async with guild_db(guild_id)`` — status
check, lease from the LRU, context-local binding, release — and (b) on a plain client bound
once for the whole loop. Rounds alternate a/b so drift on a shared machine hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from tortoise import connections

from app.models.tenant import Member
from app.tenancy import guild_db
from app.tenancy.connections.config import TENANT_ALIAS
from bench._support import scratch_tenancy


async def _run(rounds: int, queries: int) -> None:
    async with scratch_tenancy() as tenancy:
        guild_id = 10**17
        await tenancy.provision(guild_id)
        async with guild_db(guild_id):
            await Member.create(user_id=1, display_name="bench")
        plain = tenancy.new_client(guild_id)
        bound_means, plain_means = [], []
        try:
            for _ in range(rounds):
                start = time.perf_counter()
                for _ in range(queries):
                    async with guild_db(guild_id):
                        await Member.get(user_id=1)
                bound_means.append((time.perf_counter() - start) / queries)

                token = connections.set(TENANT_ALIAS, plain)
                try:
                    start = time.perf_counter()
                    for _ in range(queries):
                        await Member.get(user_id=1)
                    plain_means.append((time.perf_counter() - start) / queries)
                finally:
                    connections.reset(token)
        finally:
            await plain.close()
        bound, fixed = statistics.median(bound_means), statistics.median(plain_means)
        print(f"bound (guild_db per query): {bound * 1e6:.0f} us/query")
        print(f"plain fixed connection:     {fixed * 1e6:.0f} us/query")
        print(f"ratio bound/plain: {bound / fixed:.3f} (median of {rounds} rounds x {queries})")


def main(argv: list[str]) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench binding")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.rounds, args.queries))
    return 0
