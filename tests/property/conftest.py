"""Hypothesis profiles for the property suite.

``ci`` (the default) is bounded to run in well under a minute; ``long`` runs at least 10,000
state-machine steps: ``HYPOTHESIS_PROFILE=long pytest tests/property``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,  # real database round trips: their time is not the property
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    "derandomize": False,
    "database": None,  # no example database left in the checkout
}
settings.register_profile("ci", max_examples=8, stateful_step_count=25, **_COMMON)
settings.register_profile("long", max_examples=600, stateful_step_count=25, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
