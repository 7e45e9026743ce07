"""Pure rules of the connection layer: the frequency sketch, admission and the budget split."""

from __future__ import annotations

import pytest

from app.tenancy.connections.admission import Admission, FrequencySketch
from app.tenancy.connections.budget import FIXED_CONNECTIONS, ConnectionBudget


def test_sketch_never_undercounts_and_ages() -> None:
    """Estimates are at least the true count; after a window, old counts are halved."""
    sketch = FrequencySketch(width=64, window=1000)
    for _ in range(40):
        sketch.record(7)
    for key in range(100, 300):
        sketch.record(key)
    assert sketch.estimate(7) >= 40
    for key in range(1000, 1800):  # pushes past the window: counters halve
        sketch.record(key)
    assert 20 <= sketch.estimate(7) < 40


def test_admission_needs_min_uses_and_beats_the_victim() -> None:
    """A guild seen once is refused; a hot one is admitted to a free slot, or over a colder one."""
    admission = Admission(FrequencySketch(width=64), min_uses=3)
    assert not admission.admits(admission.record(1), victim=None)
    for _ in range(5):
        hot = admission.record(2)
    for _ in range(3):
        warm = admission.record(3)
    assert admission.admits(hot, victim=None)
    assert admission.admits(hot, victim=3)
    assert not admission.admits(warm, victim=2)


@pytest.mark.parametrize("total", [5, 12, 40, 97, 400])
@pytest.mark.parametrize("pool_max", [1, 2, 3])
def test_budget_split_never_exceeds_the_total(total: int, pool_max: int) -> None:
    """Every part gets a share, the shared tier at least one, and the sum fits the total."""
    budget = ConnectionBudget.split(total, pinned_pool_max=pool_max)
    assert budget.used <= total
    assert budget.shared_tier >= 1 and budget.registry_pool >= 1
    assert budget.used == FIXED_CONNECTIONS + budget.registry_pool + budget.shared_tier + (
        budget.pinned_slots * pool_max
    )


def test_budget_refuses_pinned_slots_that_leave_no_shared_tier() -> None:
    """Explicit pinned slots too large for the budget: a ValueError naming the settings."""
    with pytest.raises(ValueError, match="TENANT_CACHE_SIZE=40"):
        ConnectionBudget.split(40, pinned_slots=40)
    with pytest.raises(ValueError, match="below"):
        ConnectionBudget.split(3)
