"""Which guilds are hot enough to keep a pinned client: a small frequency sketch.

A guild is pinned by *frequency*, not on its first miss, so a guild seen once never evicts a
hot one (the TinyLFU idea): every lease is counted in a count-min sketch whose counters are
halved every ``window`` leases, so the estimate is "uses within roughly the last window".
A guild is admitted when it has been used at least ``min_uses`` times in that window and more
often than the least recently used pinned guild it would replace.

Memory is fixed (``depth x width`` small integers) whatever the number of guilds; an estimate
can only over-count (hash collisions), never under-count.
"""

from __future__ import annotations

#: Odd 64-bit multipliers: one independent-enough hash per row for integer keys.
_SEEDS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)
_MASK = (1 << 64) - 1


class FrequencySketch:
    """Approximate, aging use counts of guild ids."""

    def __init__(self, width: int = 4096, window: int | None = None) -> None:
        if width < 16:
            raise ValueError("width must be at least 16")
        self._width = width
        self._rows = [[0] * width for _ in _SEEDS]
        self._window = window if window is not None else 10 * width
        self._seen = 0

    def _slots(self, key: int) -> list[int]:
        return [((key * seed) & _MASK) >> 32 for seed in _SEEDS]

    def record(self, key: int) -> int:
        """Count one use of ``key``; return its estimated uses in the window."""
        estimate = None
        for row, slot in zip(self._rows, self._slots(key), strict=True):
            index = slot % self._width
            row[index] += 1
            estimate = row[index] if estimate is None else min(estimate, row[index])
        self._seen += 1
        if self._seen >= self._window:
            self._age()
        return int(estimate or 0)

    def estimate(self, key: int) -> int:
        """Estimated uses of ``key`` in the window (never below the true count)."""
        return min(
            row[slot % self._width] for row, slot in zip(self._rows, self._slots(key), strict=True)
        )

    def _age(self) -> None:
        # Halving keeps recent history dominant: a guild that went quiet fades out.
        for row in self._rows:
            for index, value in enumerate(row):
                row[index] = value >> 1
        self._seen //= 2


class Admission:
    """The pinning rule: enough uses, and more than the guild it would replace."""

    def __init__(self, sketch: FrequencySketch | None = None, *, min_uses: int = 3) -> None:
        self.sketch = sketch or FrequencySketch()
        self.min_uses = min_uses

    def record(self, guild_id: int) -> int:
        """Count a lease of ``guild_id``; return its estimated recent uses."""
        return self.sketch.record(guild_id)

    def admits(self, uses: int, victim: int | None) -> bool:
        """Whether a guild with ``uses`` recent uses may take a slot (from ``victim``, if any)."""
        if uses < self.min_uses:
            return False
        return victim is None or uses > self.sketch.estimate(victim)
