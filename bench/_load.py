"""Open-loop load for the fairness benchmark: guilds sending work at steady rates.

Each guild sends one operation every ``1 / rate`` seconds (starting at a random phase), each
in its own task, whether or not the previous one finished — as Discord delivers events — so a
slow or refused operation never slows the sender. A sample is the time from the moment the
operation was due to its end, so waiting in any queue (the event loop, the pool, a guild's
fair share) is part of it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench._support import percentile

#: One operation of a guild; its exception (if any) is classified, never raised.
Operation = Callable[[int], Awaitable[object]]


@dataclass
class Outcome:
    """What happened to one group of guilds' operations."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        """Operations started (finished or failed)."""
        return len(self.latencies) + sum(self.errors.values())

    def summary(self) -> dict[str, float | int | dict[str, int]]:
        """ok, p50/p99 in ms, and the errors by type."""
        ok = self.latencies
        return {
            "ok": len(ok),
            "p50_ms": round(percentile(ok, 50) * 1000, 2) if ok else 0.0,
            "p99_ms": round(percentile(ok, 99) * 1000, 2) if ok else 0.0,
            "errors": dict(self.errors),
        }


async def _sender(
    guild_id: int, rate: float, until: float, operation: Operation, outcome: Outcome, seed: int
) -> None:
    tasks: set[asyncio.Task[None]] = set()
    period = 1 / rate
    due = time.perf_counter() + random.Random(seed).random() * period

    async def one(due_at: float) -> None:
        try:
            await operation(guild_id)
        except Exception as exc:  # counted per type; the load goes on
            reason = getattr(exc, "reason", None)  # GuildBusy says why it was refused
            outcome.errors[type(exc).__name__ + (f" ({reason})" if reason else "")] += 1
            return
        outcome.latencies.append(time.perf_counter() - due_at)

    while due < until:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        task = asyncio.create_task(one(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        due += period
    await asyncio.gather(*list(tasks))


async def run_load(
    groups: dict[str, tuple[list[int], float]], operation: Operation, seconds: float
) -> dict[str, Outcome]:
    """Send ``operation`` for each group's guilds at the group's rate (per guild, per s)."""
    until = time.perf_counter() + seconds
    outcomes = {name: Outcome() for name in groups}
    senders = [
        _sender(guild_id, rate, until, operation, outcomes[name], seed=guild_id)
        for name, (guilds, rate) in groups.items()
        for guild_id in guilds
    ]
    await asyncio.gather(*senders)
    return outcomes


@dataclass
class Tally:
    """One scenario's outcomes per group, summed over its rounds, plus named counts."""

    groups: dict[str, Outcome] = field(default_factory=dict)
    #: "<group>.<name>" -> count (e.g. "noisy.delayed", "quiet.messages_counted")
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, outcomes: dict[str, Outcome], counts: dict[str, int]) -> None:
        """Add one round."""
        for group, outcome in outcomes.items():
            total = self.groups.setdefault(group, Outcome())
            total.latencies += outcome.latencies
            total.errors.update(outcome.errors)
        self.counts.update(counts)

    def row(self, scenario: str) -> dict[str, Any]:
        """The scenario's line of the table: per group, the summary and its counts."""
        row: dict[str, Any] = {"scenario": scenario}
        for key, value in self.counts.items():  # counts of groups without operations too
            group, _, name = key.partition(".")
            row.setdefault(group, {})[name] = value
        for group, outcome in self.groups.items():
            row[group] = {**outcome.summary(), "sent": outcome.sent, **row.get(group, {})}
        return row


#: Runs one round of a scenario for the given seconds: outcomes per group, and counts.
Round = Callable[[str, float], Awaitable[tuple[dict[str, Outcome], dict[str, int]]]]


async def interleave(
    scenarios: list[str], run_round: Round, seconds: float, rounds: int
) -> dict[str, Tally]:
    """Run every scenario ``rounds`` times, alternating, ``seconds / rounds`` each time.

    On a shared machine the background load changes from minute to minute; alternating the
    scenarios spreads it over all of them instead of charging it to whichever ran then.
    """
    tallies = {name: Tally() for name in scenarios}
    for _ in range(rounds):
        for name in scenarios:
            tallies[name].add(*await run_round(name, seconds / rounds))
    return tallies
