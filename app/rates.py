"""A rate written as ``USES/SECONDS`` (``5/60``: five uses per minute), for the limit settings.

The command cooldowns and the per-guild XP budget are configured this way; ``0`` (or an empty
value) turns a limit off.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What a rate setting looks like, for error messages.
RATE_FORMAT = "USES/SECONDS such as 5/60, or 0 for no limit"


@dataclass(frozen=True)
class Rate:
    """At most ``uses`` per ``seconds``."""

    uses: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.uses}/{self.seconds:g}"


def parse_rate(value: object) -> Rate | None:
    """``"5/60"`` → ``Rate(5, 60)``; ``"0"``, ``""`` or None → None (no limit).

    Raises :class:`ValueError` with one line naming the expected format.
    """
    if value is None or isinstance(value, Rate):
        return value
    text = str(value).strip()
    if text in ("", "0"):
        return None
    uses, slash, seconds = text.partition("/")
    try:
        rate = Rate(int(uses), float(seconds))
    except ValueError:
        rate = None
    if not slash or rate is None or rate.uses < 1 or not 0 < rate.seconds <= 86_400:
        raise ValueError(f"{text!r} is not a rate; write {RATE_FORMAT} (seconds ≤ 86400)")
    return rate
