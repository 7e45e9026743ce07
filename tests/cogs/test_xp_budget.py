"""The per-guild XP budget: a fixed window per guild, drops counted, windows forgotten."""

from __future__ import annotations

from app.cogs.ranks._flood import GuildMessageBudget
from app.rates import Rate


def test_a_guild_gets_its_budget_per_window_and_the_rest_is_dropped() -> None:
    """3 per 10 s: the 4th and 5th message of a guild are dropped; the next window counts."""
    budget = GuildMessageBudget(Rate(3, 10))
    assert [budget.take(1, now=t) for t in (0, 1, 2, 3, 4)] == [True, True, True, False, False]
    assert budget.dropped == 2
    assert budget.take(2, now=4)  # another guild has its own window
    assert budget.take(1, now=10.5)  # a new window for guild 1


def test_no_budget_counts_every_message() -> None:
    """XP_GUILD_BUDGET=0: nothing is ever dropped."""
    budget = GuildMessageBudget(None)
    assert all(budget.take(1, now=0) for _ in range(10_000))
    assert budget.dropped == 0


def test_ended_windows_are_forgotten_so_memory_follows_active_guilds() -> None:
    """After many guilds' windows ended, pruning keeps only the guilds still in a window."""
    budget = GuildMessageBudget(Rate(1, 1))
    for guild in range(3000):
        budget.take(guild, now=0)
    for guild in range(3000, 4200):  # crosses the next pruning point (4,096 entries)
        budget.take(guild, now=5)
    assert len(budget._windows) == 1200  # only the guilds whose window is still open
