"""Serving traffic for ``python -m bench migrate --under-load``: what a migration competes with.

Each task plays the database side of an interaction again and again: bind a random guild
(``guild_db``, either connection tier), read a member by key and bump its XP. Samples are
(start time, duration, succeeded); a failure is counted, never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from app.models.tenant import Member
from app.tenancy import guild_db
from bench._support import percentile


@dataclass
class Samples:
    """Durations (seconds) of served operations, and how many failed."""

    durations: list[float] = field(default_factory=list)
    #: perf_counter() at each served operation's start, and at each failure
    starts: list[float] = field(default_factory=list)
    failed_at: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        """Operations that failed."""
        return len(self.failed_at)

    def between(self, start: float, end: float) -> Samples:
        """The operations begun in [start, end]."""
        kept = Samples(errors=self.errors)
        for began, duration in zip(self.starts, self.durations, strict=True):
            if start <= began <= end:
                kept.starts.append(began)
                kept.durations.append(duration)
        kept.failed_at = [t for t in self.failed_at if start <= t <= end]
        return kept

    def line(self, label: str) -> str:
        """One table row: p50, p99, operations, failures."""
        if not self.durations:
            return f"{label:<8} no operations"
        p50, p99 = percentile(self.durations, 50) * 1000, percentile(self.durations, 99) * 1000
        return (
            f"{label:<8} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
            f"{len(self.durations):>7,} ops  {self.failures} failed"
        )


async def _one(guild_id: int, user_id: int) -> None:
    async with guild_db(guild_id):
        await Member.get_or_none(user_id=user_id)
        if not await Member.filter(user_id=user_id).update(xp=F("xp") + 1):
            # Two tasks may create the same member at once; the second one's row exists.
            with contextlib.suppress(IntegrityError):
                await Member.create(user_id=user_id, xp=1)


async def _task(guilds: list[int], seed: int, stop: asyncio.Event, samples: Samples) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            await _one(rng.choice(guilds), rng.randrange(1, 50))
        except Exception as exc:  # counted: the floor is 0 failed interactions
            samples.failed_at.append(started)
            if len(samples.errors) < 5:
                samples.errors.append(" ".join(str(exc).split())[:200])
            continue
        samples.starts.append(started)
        samples.durations.append(time.perf_counter() - started)


async def serve(guilds: list[int], tasks: int, stop: asyncio.Event) -> Samples:
    """Serve with ``tasks`` concurrent tasks until ``stop`` is set."""
    samples = Samples()
    await asyncio.gather(*(_task(guilds, n, stop, samples) for n in range(tasks)))
    return samples


async def serve_for(guilds: list[int], tasks: int, seconds: float) -> Samples:
    """Serve for ``seconds`` (the baseline before the migration)."""
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(guilds, tasks, stop))
    await asyncio.sleep(seconds)
    stop.set()
    return await serving
