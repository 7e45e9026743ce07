"""The fairness benchmark's bookkeeping: per-group counts in a row, the floor's verdict, and
the checks that say when a bot-path run measured the machine rather than the bot."""

from __future__ import annotations

from typing import Any

from bench._load import Outcome, Tally
from bench.fairness import FLOOR, LAG_LIMIT_MS, verdict


def _row(scenario: str, p99: float, *, errors: int = 0, lost: int = 0, lag: float = 1.0) -> Any:
    quiet = {
        "p50_ms": p99 / 4,
        "p99_ms": p99,
        "errors": {"Refused (busy)": errors} if errors else {},
    }
    quiet |= {"messages_sent": 100, "messages_counted": 100 - lost}
    return {"scenario": scenario, "quiet": quiet, "bot": {"cores": 0.3}, "lag": {"p99_ms": lag}}


def test_a_row_carries_counts_of_groups_that_sent_nothing() -> None:
    """CPU and load counts ("bot.cpu_ms") land in the row next to the groups' summaries."""
    tally = Tally()
    quiet = Outcome(latencies=[0.010, 0.020])
    tally.add({"quiet": quiet}, {"quiet.messages_sent": 2, "bot.cpu_ms": 150})
    tally.add({"quiet": Outcome(latencies=[0.030])}, {"quiet.messages_sent": 1, "bot.cpu_ms": 50})
    row = tally.row("quiet only")
    assert row["bot"] == {"cpu_ms": 200}
    assert (row["quiet"]["ok"], row["quiet"]["messages_sent"]) == (3, 3)


def test_the_floor_holds_only_within_the_ratio_without_errors_or_lost_messages() -> None:
    """x1.4 holds; x1.6, a quiet error or a lost quiet message does not."""
    alone = _row("quiet only", 100)
    assert verdict([alone, _row("with noisy", 100 * (FLOOR - 0.1))], "with noisy")["holds"]
    for noisy in (
        _row("with noisy", 100 * (FLOOR + 0.1)),
        _row("with noisy", 100, errors=1),
        _row("with noisy", 100, lost=1),
    ):
        assert not verdict([alone, noisy], "with noisy")["holds"]


def test_a_run_where_the_bot_or_the_generator_could_not_keep_up_is_flagged() -> None:
    """Quiet errors without the noisy guild, or a lagging load generator, make it unsound."""
    sound = verdict([_row("quiet only", 100), _row("with noisy", 110)], "with noisy")
    assert sound["unsound"] == []
    overloaded = verdict([_row("quiet only", 100, errors=3), _row("with noisy", 110)], "with noisy")
    assert "without the noisy guild" in overloaded["unsound"][0]
    lagging = _row("with noisy", 110, lag=LAG_LIMIT_MS + 1)
    reasons = verdict([_row("quiet only", 100), lagging], "with noisy")["unsound"]
    assert reasons == [f"with noisy: the load generator lagged (p99 > {LAG_LIMIT_MS} ms)"]
