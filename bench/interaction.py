"""Interaction round trip with the database in the loop: ``python -m bench interaction``.

A GuildhallBot (the unmodified disnake client) logs in to the fake Discord of the end-to-end
tests on 127.0.0.1 and answers ``/tag show`` in a provisioned guild. Each sample is the time
from the fake sending INTERACTION_CREATE on the gateway to the bot's interaction callback
reaching the fake's REST API — gateway parsing, the status check, the lease, the query and
the HTTP reply. Two series:

* ``pinned``: the guild has a pinned client (its connection open, ``search_path`` pinned);
* ``shared``: the guild is unpinned and pinning is off, so every command leases a
  shared-tier connection and binds the schema with one ``SET search_path``.

A third series, ``no db``, is the baseline without the database: ``/tag show`` with a blank
name, refused by the cog before any query (the error handler's ephemeral reply). ``/tag show``
itself counts the use (an UPDATE, committed, then a SELECT), so its database part includes a
durable commit.

The bot and the fake share this process and its event loop, as in the tests. The database is
``DATABASE_URL`` (default: the local PostgreSQL); a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from app.bot import GuildhallBot
from app.models.shared import Tenant, TenantStatus
from app.settings import Settings
from app.tenancy import Tenancy
from bench._support import describe_ms, scratch_tenancy
from bench.fakediscord import FakeDiscord, FakeGuild, running_bot

MEMBER = 600_000_000_000_000_001
TAG = "bench"
#: What /tag show answers for the tag, and for a blank name (refused before any query).
EXPECTED = {TAG: "benchmark", " ": "A tag needs a name."}


def main(argv: list[str]) -> int:
    """Parse options, run both series, print p50/p95 for each."""
    parser = argparse.ArgumentParser(prog="python -m bench interaction", description=__doc__)
    parser.add_argument("--count", type=int, default=300, help="timed /tag show per series")
    parser.add_argument("--warmup", type=int, default=20, help="untimed /tag show per series")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.count, args.warmup))
    return 0


async def _wait_active(guild_id: int, timeout_s: float) -> None:
    """Wait until the guild's registry row is active (the bot provisions it in a task)."""
    async with asyncio.timeout(timeout_s):
        while True:
            if await Tenant.exists(guild_id=guild_id, status=TenantStatus.ACTIVE):
                return
            await asyncio.sleep(0.01)


async def run(count: int, warmup: int) -> None:
    """Start a scratch tenancy, the fake and the bot; time both series."""
    async with scratch_tenancy() as tenancy:
        fake = FakeDiscord()
        guild = fake.add_guild(name="Bench Guild")
        bot = GuildhallBot(Settings(_env_file=None), tenancy, guild_ready_timeout=0.05)  # type: ignore[call-arg]
        async with fake, running_bot(fake, bot):
            await _wait_active(guild.id, timeout_s=30)
            created = await fake.slash(
                guild.id,
                MEMBER,
                "tag",
                subcommand="create",
                options={"name": TAG, "content": "benchmark"},
            )
            assert created.content == f"Tag **{TAG}** created.", created.content
            print(f"/tag show round trip, {count} per series ({warmup} warm-up):")
            for label, name, evict in (
                ("no db", " ", False),
                ("pinned", TAG, False),
                ("shared", TAG, True),
            ):
                samples = await series(fake, guild, tenancy, name, count, warmup, evict=evict)
                print(f"  {label:<8} {describe_ms(samples)}")
            stats = tenancy.connections.stats()
            print(
                f"  connections: {stats.hits} pinned hits, {stats.shared_leases} shared leases, "
                f"{stats.evictions} evictions"
            )


async def series(
    fake: FakeDiscord,
    guild: FakeGuild,
    tenancy: Tenancy,
    name: str,
    count: int,
    warmup: int,
    *,
    evict: bool,
) -> list[float]:
    """Round trips in seconds of ``count`` timed ``/tag show name`` after ``warmup`` untimed
    ones."""
    samples: list[float] = []
    for index in range(warmup + count):
        if evict and tenancy.connections.pinned.capacity:
            # The shared tier alone: no slot to be pinned into (else the hot guild would be
            # pinned again in the background, competing with the timed interaction).
            tenancy.connections.pinned.capacity = 0
            tenancy.connections.evict(guild.id)
            await tenancy.connections.pinned.wait_idle()
        elif not evict and not tenancy.connections.pinned.is_pinned(guild.id):
            await tenancy.connections.pin(guild.id)
        reply = await fake.slash(guild.id, MEMBER, "tag", subcommand="show", options={"name": name})
        if reply.content != EXPECTED[name]:
            raise RuntimeError(f"unexpected reply {reply.content!r}")
        round_trip = reply.interaction.round_trip_s
        assert round_trip is not None
        if index >= warmup:
            samples.append(round_trip)
    return samples
