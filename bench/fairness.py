"""One busy guild among many quiet ones: ``python -m bench fairness``.

``--guilds`` quiet guilds (default 200) each send work at ``--rate`` operations per second,
and one noisy guild sends ``--factor`` (default 100) times that, open-loop (each operation due
at its time, whatever the previous one did). Two paths:

* ``db`` — each operation is one ``async with guild_db(guild)`` lease: a primary-key read plus
  ``--hold-ms`` of server time (``pg_sleep``, standing for a slower query), with the default
  connection budget of 40. Scenarios: quiet guilds alone; with the noisy guild under each cap
  of ``--caps`` (0 = no cap; unset: the default, an eighth of the shared tier).

Scenarios alternate ``--rounds`` times (``--seconds`` each in all), so the background load of
a shared machine falls on all of them alike.
* ``bot`` — the unmodified bot against the fake Discord on 127.0.0.1: every guild's members
  post messages (XP) at the rates, and each quiet guild also runs ``/rank`` every
  ``--rank-every`` seconds; the sample is ``/rank``'s round trip (bench/_fairness_bot.py).
  Each scenario also shows the CPU the bot process and the benchmark's own process (fake
  Discord and load) used, the benchmark's event-loop lag and the load average: on a busy
  machine a lag p99 near the quiet p99, or a bot that got far less than a core, says the
  run measured the machine, not the bot. Settings such as ``XP_GUILD_BUDGET`` in the
  environment reach the bot. About 2 minutes with the defaults (2.5 at load average 8).

* ``parse`` — the CPU one message over the XP budget costs the bot, parsed by disnake or
  dropped raw by the gateway filter (bench/_fairness_parse.py; no network, no database).

Reported per scenario: the quiet guilds' p50/p99 and errors, the noisy guild's operations
served, refused (by reason) and delayed. The floor: quiet p99 with the noisy guild at most
1.5 x without it, and no quiet errors. ``--json`` prints one object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from typing import Any

from tortoise import connections

from app.models.tenant import Member
from app.tenancy import ConnectionBudget, FairShareLimits, Tenancy, guild_db
from bench._load import Outcome, interleave, run_load
from bench._support import scratch_tenancy

FIRST_GUILD = 10**17
#: The floor of issue 17: quiet p99 with the noisy guild <= this x quiet p99 without it.
FLOOR = 1.5
#: Bot path: beyond this lag of its own event loop, the benchmark's samples are its own delay.
LAG_LIMIT_MS = 50


async def _operation(guild_id: int, hold_s: float) -> None:
    async with guild_db(guild_id):
        await Member.get_or_none(user_id=1)
        if hold_s:
            await connections.get("tenant").execute_query("SELECT pg_sleep($1)", [hold_s])


async def run_db(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The guild_db path: quiet alone, then with the noisy guild under each cap."""
    budget = ConnectionBudget.split(40)
    async with scratch_tenancy(budget=budget) as tenancy:
        guilds = list(range(FIRST_GUILD, FIRST_GUILD + args.guilds + 1))
        for start in range(0, len(guilds), 250):
            await tenancy.provision_many(guilds[start : start + 250], jobs=4)
        quiet, noisy = guilds[1:], guilds[0]
        hold = args.hold_ms / 1000

        async def operation(guild_id: int) -> None:
            await _operation(guild_id, hold)

        default = FairShareLimits.for_shared_tier(budget.shared_tier)
        caps = args.caps if args.caps is not None else [default.max_shared_leases]
        scenarios: dict[str, int | None] = {"quiet only": None}
        scenarios |= {f"with noisy, cap {cap or 'off'}": cap for cap in caps}

        async def run_round(name: str, seconds: float) -> tuple[dict[str, Outcome], dict[str, int]]:
            cap = scenarios[name]
            _set_cap(tenancy, default, cap)
            groups = {"quiet": (quiet, args.rate)}
            if cap is not None:
                groups["noisy"] = ([noisy], args.rate * args.factor)
            before = tenancy.connections.stats().leases_delayed
            outcomes = await run_load(groups, operation, seconds)
            delayed = tenancy.connections.stats().leases_delayed - before
            return outcomes, ({"noisy.delayed": delayed} if cap is not None else {})

        tallies = await interleave(list(scenarios), run_round, args.seconds, args.rounds)
        rows = [tally.row(name) for name, tally in tallies.items()]
        for row in rows:
            _print_row(row, args.json)
        return rows


def _set_cap(tenancy: Tenancy, default: FairShareLimits, cap: int | None) -> None:
    limits = default if cap is None else FairShareLimits(cap, default.wait_seconds)
    tenancy.connections.fair.limits = limits


def _print_row(row: dict[str, Any], quiet_output: bool) -> None:
    if quiet_output:
        return
    q = row["quiet"]
    line = f"{row['scenario']:<22} quiet p50 {q['p50_ms']:>7} ms  p99 {q['p99_ms']:>7} ms"
    line += f"  ok {q['ok']:>6}  errors {q['errors'] or 0}"
    if "noisy" in row:
        n = row["noisy"]
        line += f" | noisy sent {n['sent']}, ok {n['ok']}, delayed {n.get('delayed', '-')}"
        line += f", refused {n['errors'] or 0}"
    for group in ("quiet", "noisy"):
        if "messages_sent" in row.get(group, {}):
            g = row[group]
            line += f"\n{'':<22} {group} messages sent {g['messages_sent']}"
            line += f", counted {g['messages_counted']}"
    if "bot" in row:
        line += f"\n{'':<22} CPU: bot {row['bot']['cores']} cores, bench {row['bench']['cores']}"
        line += f"; bench loop lag p99 {row['lag']['p99_ms']} ms; load average"
        line += f" {row['machine']['load']}"
    print(line, flush=True)


def verdict(rows: list[dict[str, Any]], capped: str) -> dict[str, Any]:
    """Whether the floor holds for the scenario named ``capped`` against "quiet only"."""
    base = next(r for r in rows if r["scenario"] == "quiet only")["quiet"]
    row = next(r for r in rows if r["scenario"] == capped)["quiet"]
    ratio = row["p99_ms"] / base["p99_ms"] if base["p99_ms"] else float("inf")
    lost = row.get("messages_sent", 0) - row.get("messages_counted", 0)
    ok = ratio <= FLOOR and not row["errors"] and lost == 0
    result = {
        "scenario": capped,
        "p50_ms": [base["p50_ms"], row["p50_ms"]],
        "p99_ms": [base["p99_ms"], row["p99_ms"]],
        "p99_ratio": round(ratio, 2),
        "quiet_errors": sum(row["errors"].values()),
        "quiet_messages_lost": lost,
        "floor": FLOOR,
        "holds": ok,
    }
    bots = [r.get("bot", {}).get("cores") for r in rows if r["scenario"] in ("quiet only", capped)]
    if all(bots):
        result["bot_cpu_cores"] = bots
        result["unsound"] = unsound(rows)
    return result


def unsound(rows: list[dict[str, Any]]) -> list[str]:
    """Why a bot-path run measured the machine rather than the bot (empty: it did not).

    The ratio means something only if the bot kept up without the noisy guild and the load
    generator sent on time in every scenario.
    """
    reasons = []
    alone = next(r for r in rows if r["scenario"] == "quiet only")["quiet"]
    if alone["errors"] or alone.get("messages_sent", 0) != alone.get("messages_counted", 0):
        reasons.append("the bot did not keep up even without the noisy guild (lower --rate)")
    for row in rows:
        if row["lag"]["p99_ms"] > LAG_LIMIT_MS:
            reasons.append(
                f"{row['scenario']}: the load generator lagged (p99 > {LAG_LIMIT_MS} ms)"
            )
    return reasons


def main(argv: list[str]) -> int:
    """Parse options, run the chosen paths, print the table and whether the floor holds."""
    parser = argparse.ArgumentParser(prog="python -m bench fairness", description=__doc__)
    parser.add_argument("--path", choices=("db", "bot", "both", "parse"), default="both")
    parser.add_argument("--guilds", type=int, default=200, help="quiet guilds")
    parser.add_argument("--rate", type=float, default=0.6, help="per quiet guild, per second")
    parser.add_argument("--factor", type=float, default=100, help="noisy rate / quiet rate")
    parser.add_argument("--seconds", type=float, default=30, help="per scenario, all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="scenarios alternate this often")
    parser.add_argument("--hold-ms", type=float, default=115, help="db path: server time per op")
    parser.add_argument("--caps", type=lambda v: [int(c) for c in v.split(",")], default=None)
    parser.add_argument("--rank-every", type=float, default=5, help="bot path: /rank period")
    parser.add_argument("--messages", type=int, default=20_000, help="parse path: per run")
    parser.add_argument("--repeat", type=int, default=3, help="parse path: runs of each way")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    result: dict[str, Any] = {"args": vars(args)}
    if args.path in ("db", "both"):
        if not args.json:
            print(f"guild_db: {args.guilds} quiet guilds at {args.rate}/s, one at x{args.factor}")
        rows = asyncio.run(run_db(args))
        capped = [r["scenario"] for r in rows if r["scenario"] not in ("quiet only",)]
        verdicts = [verdict(rows, name) for name in capped if not name.endswith("cap off")]
        result["db"] = {"rows": rows, "verdicts": verdicts}
    if args.path in ("bot", "both"):
        from bench._fairness_bot import run_bot

        if not args.json:
            print(f"bot: {args.guilds} quiet guilds posting {args.rate}/s, one at x{args.factor}")
        rows = asyncio.run(run_bot(args, _print_row))
        result["bot"] = {"rows": rows, "verdicts": [verdict(rows, "with noisy")]}
    if args.path == "parse":
        from bench._fairness_parse import run_parse

        result["parse"] = run_parse(args)
    if args.json:
        print(json.dumps(result))
    else:
        for path in ("db", "bot"):
            if path in result:
                for line in result[path]["verdicts"]:
                    _print_verdict(path, line)
    return 0


def _print_verdict(path: str, v: dict[str, Any]) -> None:
    (p50, p50_with), (p99, p99_with) = v["p50_ms"], v["p99_ms"]
    print(
        f"{path}: {v['scenario']}: quiet p99 {p99} -> {p99_with} ms (x{v['p99_ratio']}),"
        f" p50 {p50} -> {p50_with} ms; quiet errors {v['quiet_errors']},"
        f" quiet messages lost {v['quiet_messages_lost']};"
        f" floor x{v['floor']} {'holds' if v['holds'] else 'NOT met'}"
    )
    if "bot_cpu_cores" in v:
        alone, noisy = v["bot_cpu_cores"]
        print(f"{path}: bot CPU {alone} -> {noisy} cores")
        for reason in v["unsound"]:
            print(f"{path}: UNSOUND RUN: {reason}")
