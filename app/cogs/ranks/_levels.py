"""The level curve (MEE6-like): going from level ``l`` to ``l + 1`` takes ``5l² + 50l + 100`` XP.

So level 1 is reached at 100 XP in all, level 2 at 255, level 5 at 1,150, level 10 at 4,675
and level 20 at 23,850. At 15 to 25 XP (20 on average) per counted message and at most one
counted message a minute, level 10 takes about 234 minutes of chat, level 20 about 20 hours.
"""

from __future__ import annotations

from dataclasses import dataclass

#: XP per counted message: a whole number from GAIN_MIN to GAIN_MAX inclusive.
GAIN_MIN = 15
GAIN_MAX = 25
#: At most one counted message per member per this many seconds.
COOLDOWN_SECONDS = 60


def xp_to_next(level: int) -> int:
    """XP needed to go from ``level`` to ``level + 1``."""
    return 5 * level * level + 50 * level + 100


@dataclass(frozen=True)
class Progress:
    """Where a total XP stands on the curve."""

    level: int
    into_level: int
    for_next: int


def progress(xp: int) -> Progress:
    """The level reached, the XP earned within it, and the XP the next level takes."""
    level = 0
    while xp >= xp_to_next(level):
        xp -= xp_to_next(level)
        level += 1
    return Progress(level, xp, xp_to_next(level))


def level_for(xp: int) -> int:
    """The level a member with ``xp`` total XP has reached."""
    return progress(xp).level
