"""The bot path of ``python -m bench fairness``: ``guildhall run`` against the fake Discord.

The bot runs as in production, in a process of its own (``python -m app run``, default
settings: its cooldowns, XP budget and fair shares); the fake Discord and the load run in this
one, so the fake's own work is not charged to the bot.

Every guild's members post messages (MESSAGE_CREATE on the gateway, counted for XP) at the
quiet rate, the noisy guild at ``--factor`` times it; each quiet guild also runs ``/rank``
every ``--rank-every`` seconds, and the noisy guild ``--factor`` times as often. A sample is
``/rank``'s round trip (the fake sends INTERACTION_CREATE, the bot answers over REST).

After each scenario the messages counted are read back: every quiet guild's message must be
counted (nothing lost), the noisy guild's beyond its XP budget are not.

So that a run on a shared machine can be judged, each scenario also reports the CPU the bot
process and this process used (cores: CPU seconds per second), the load average, and the lag
of this process's event loop (``lag``: a no-op scheduled 50 times a second, from when it was
due to when it ran). A lag p99 close to the quiet p99 means the load generator, not the bot,
made the latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import psutil

from app import heap
from app.models.shared import Tenant, TenantStatus
from app.tenancy import Tenancy, guild_db
from bench._load import Outcome, interleave, run_load
from bench._support import scratch_tenancy
from bench.fakediscord import FakeDiscord

FIRST_MEMBER = 600_000_000_000_000_000
MEMBERS_PER_GUILD = 50
#: After a round, the counts are read until they stop changing (the bot finishing the
#: messages already sent), at most this long.
SETTLE_MAX_S = 5.0
SETTLE_POLL_S = 0.5
#: The event-loop lag probe of this process: a no-op this many times a second.
PROBE_RATE = 50.0
#: Starting the bot process and provisioning every guild (~20 ms each) on a loaded machine.
START_TIMEOUT_S = 120.0
#: The bot process gets the default settings, not the caller's (but for the ones set here).
CLEARED_SETTINGS = ("DISCORD_", "DATABASE_URL", "HEALTH_", "LOG_", "TENANT_", "DATA_DIR")


class Refused(Exception):
    """``/rank`` answered with something else than a rank (a cooldown, "busy", an error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reason(text: str) -> str:
    for reason, start in (
        ("cooldown", "You are doing that"),
        ("guild cooldown", "This command is used too often"),
        ("busy", "This server is busy"),
    ):
        if text.startswith(start):
            return reason
    return text[:40]


async def _count_messages(guild_ids: list[int]) -> int:
    total = 0
    for guild_id in guild_ids:
        async with guild_db(guild_id) as db:
            rows = await db.execute_query_dict("SELECT sum(message_count) AS n FROM member")
            total += int(rows[0]["n"] or 0)
    return total


async def run_bot(
    args: argparse.Namespace, print_row: Callable[[dict[str, Any], bool], None]
) -> list[dict[str, Any]]:
    """Quiet guilds alone, then with the noisy guild; /rank latency and messages counted."""
    # This process's tenancy only reads the counts back; the bot has its own.
    async with scratch_tenancy(spare_schemas=0) as tenancy:
        fake = FakeDiscord()
        guilds = [fake.add_guild(name=f"Guild {n}").id for n in range(args.guilds + 1)]
        async with fake, guildhall_run(fake, tenancy) as bot_process:
            await fake.wait_for_ready(timeout_s=START_TIMEOUT_S)
            await _wait_active(len(guilds))
            noisy, quiet = guilds[0], guilds[1:]
            rng = random.Random(17)

            def member(guild_id: int) -> int:
                return FIRST_MEMBER + guilds.index(guild_id) * 1000 + rng.randrange(50)

            async def post(guild_id: int) -> None:
                await fake.send_message(guild_id, None, member(guild_id), "hello")

            async def rank(guild_id: int) -> None:
                reply = await fake.slash(guild_id, member(guild_id), "rank", timeout_s=10)
                text = reply.content or ""
                if not text.startswith("<@"):
                    raise Refused(_reason(text))

            async def run_round(
                name: str, seconds: float
            ) -> tuple[dict[str, Outcome], dict[str, int]]:
                # The fake keeps every event it sent: frozen, it stays out of this process's
                # full collections, whose pauses would otherwise be charged to the bot.
                heap.freeze_long_lived()
                with _resources(bot_process) as used:
                    answered, counts = await _round(
                        args, seconds, quiet, noisy, name != "quiet only", post, rank
                    )
                return answered, counts | used

            tallies = await interleave(["quiet only", "with noisy"], run_round, args.seconds,
                                       args.rounds)  # fmt: skip
            rows = [_per_second(tally.row(name), args) for name, tally in tallies.items()]
            for row in rows:
                print_row(row, args.json)
            return rows


@contextlib.contextmanager
def _resources(bot: psutil.Process) -> Any:
    """CPU milliseconds of the bot process and of this one over the block, and the load
    average (x100) at its end, as counts of the groups "bot", "bench" and "machine"."""
    me = psutil.Process()
    before = {"bot": bot.cpu_times(), "bench": me.cpu_times()}
    used: dict[str, int] = {}
    yield used
    for name, process in (("bot", bot), ("bench", me)):
        after = process.cpu_times()
        spent = after.user + after.system - before[name].user - before[name].system
        used[f"{name}.cpu_ms"] = round(spent * 1000)
    used["machine.load_x100"] = round(os.getloadavg()[0] * 100)


def _per_second(row: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """CPU in cores (CPU seconds per second of load) and the mean load average."""
    for name in ("bot", "bench"):
        row[name]["cores"] = round(row[name].pop("cpu_ms") / 1000 / args.seconds, 2)
    row["machine"]["load"] = round(row["machine"].pop("load_x100") / 100 / args.rounds, 1)
    return row


async def _round(
    args: argparse.Namespace,
    seconds: float,
    quiet: list[int],
    noisy: int,
    with_noisy: bool,
    post: Callable[[int], Any],
    rank: Callable[[int], Any],
) -> tuple[dict[str, Outcome], dict[str, int]]:
    """One round: /rank outcomes per group, and messages sent and counted per group."""
    posts = {"quiet": (quiet, args.rate)}
    ranks = {"quiet": (quiet, 1 / args.rank_every)}
    if with_noisy:
        posts["noisy"] = ([noisy], args.rate * args.factor)
        ranks["noisy"] = ([noisy], args.factor / args.rank_every)
    members = {"quiet": quiet, "noisy": [noisy]}
    before = {group: await _count_messages(members[group]) for group in posts}
    sent, answered, lag = await asyncio.gather(
        run_load(posts, post, seconds),
        run_load(ranks, rank, seconds),
        run_load({"lag": ([0], PROBE_RATE)}, _nothing, seconds),
    )
    counted = await _settled_counts({group: members[group] for group in posts})
    counts: dict[str, int] = {}
    for group in posts:
        counts[f"{group}.messages_sent"] = sent[group].sent
        counts[f"{group}.messages_counted"] = counted[group] - before[group]
    return answered | lag, counts


async def _nothing(_: int) -> None:
    """The lag probe's operation: its latency is only this event loop's delay."""


async def _settled_counts(members: dict[str, list[int]]) -> dict[str, int]:
    """Messages counted per group, once two reads in a row agree (or after SETTLE_MAX_S)."""
    deadline = time.monotonic() + SETTLE_MAX_S
    last: dict[str, int] = {}
    while True:
        await asyncio.sleep(SETTLE_POLL_S)
        now = {group: await _count_messages(ids) for group, ids in members.items()}
        if now == last or time.monotonic() > deadline:
            return now
        last = now


@contextlib.asynccontextmanager
async def guildhall_run(fake: FakeDiscord, tenancy: Tenancy) -> AsyncIterator[psutil.Process]:
    """``python -m app run`` logged in to ``fake`` on the tenancy's database, stopped at the
    end (its output is printed if it failed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_SETTINGS)}
    env.update(
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE=fake.api_base,
        DATABASE_URL=tenancy.address.dsn,
        HEALTH_PORT="0",
        LOG_LEVEL="WARNING",
    )
    with tempfile.TemporaryDirectory(prefix="guildhall-bench-") as workdir:  # no .env there
        log_path = Path(workdir) / "guildhall.log"
        with log_path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "app", "run", env=env, cwd=workdir,
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        try:
            yield psutil.Process(proc.pid)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                code = await proc.wait()
            if code != 0:
                print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)


async def _wait_active(count: int, timeout_s: float = 120) -> None:
    async with asyncio.timeout(timeout_s):
        while True:
            if await Tenant.filter(status=TenantStatus.ACTIVE).count() >= count:
                return
            await asyncio.sleep(0.1)
