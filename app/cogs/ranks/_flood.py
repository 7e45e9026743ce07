"""How many messages one guild may have counted for XP per interval (``XP_GUILD_BUDGET``).

Under a flood (a raid, a bot farm) every message would otherwise become a lease and two
statements, and the guild would take the database time the other guilds need. Each guild gets
a fixed window of ``seconds``; the first ``uses`` messages in it are counted, the rest are
**not counted at all** (no message count, no XP) and nothing waits: a message is either
counted now or dropped now, so nothing queues. Dropped messages are counted here
(:attr:`GuildMessageBudget.dropped`) and logged once per guild and window.
"""

from __future__ import annotations

import logging
import time

from app.rates import Rate

log = logging.getLogger(__name__)


class GuildMessageBudget:
    """Fixed-window counters of counted messages per guild."""

    def __init__(self, rate: Rate | None) -> None:
        self.rate = rate
        #: guild id -> (window start, messages counted in it)
        self._windows: dict[int, tuple[float, int]] = {}
        self._prune_at = 1024
        #: Messages not counted because their guild had used its budget.
        self.dropped = 0

    def take(self, guild_id: int, now: float | None = None) -> bool:
        """True if one more message of the guild may be counted now."""
        if self.rate is None:
            return True
        now = time.monotonic() if now is None else now
        start, used = self._windows.get(guild_id, (now, 0))
        if now - start >= self.rate.seconds:
            start, used = now, 0
        if used >= self.rate.uses:
            self.dropped += 1
            if used == self.rate.uses:  # first drop of this window: say so once
                log.warning(
                    "XP budget of %s messages reached; messages beyond it are not counted",
                    self.rate,
                    extra={"guild_id": guild_id},
                )
                self._windows[guild_id] = (start, used + 1)
            return False
        self._windows[guild_id] = (start, used + 1)
        if len(self._windows) >= self._prune_at:
            self._prune(now)
        return True

    def _prune(self, now: float) -> None:
        # Windows that ended hold nothing worth keeping; keeps memory to the active guilds.
        assert self.rate is not None
        seconds = self.rate.seconds
        self._windows = {g: w for g, w in self._windows.items() if now - w[0] < seconds}
        self._prune_at = max(1024, 2 * len(self._windows))
