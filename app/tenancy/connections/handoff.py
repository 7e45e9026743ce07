"""The shared tier's wait queue: who gets a connection freed while leases wait.

First come, first served, with one exception for locality: the first waiter (within
:data:`AFFINITY_WINDOW`) whose *home pool* is the freed one goes first. Under saturation a
plain FIFO would hand each freed connection to whichever guild waited longest, and every
backend would end up serving every guild — each with cold catalog caches for all of them
(measured with ``python -m bench churn``). A waiter is passed at most :data:`MAX_OVERTAKES`
times, which bounds what the affinity costs in waiting.
"""

from __future__ import annotations

import asyncio
from collections import deque

#: How far into the queue a freed connection looks for a waiter of its own pool.
AFFINITY_WINDOW = 16

#: A waiter is overtaken by later waiters of the freed pool at most this many times; then it
#: is served next, whatever its home.
MAX_OVERTAKES = 4


class Waiter:
    """A lease waiting for a connection: its guild, home pool, and how often it was passed."""

    __slots__ = ("guild_id", "handed", "home", "overtaken")

    def __init__(self, guild_id: int, home: int) -> None:
        self.guild_id = guild_id
        self.home = home
        #: Resolves to the index of the pool whose connection is handed over.
        self.handed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.overtaken = 0


class WaitQueue:
    """Leases waiting for a shared connection, in arrival order."""

    def __init__(self) -> None:
        self._waiters: deque[Waiter] = deque()
        #: Hand-offs that went to a waiter of the freed pool ahead of an earlier waiter.
        self.overtakes = 0

    def __len__(self) -> int:
        return len(self._waiters)

    def join(self, guild_id: int, home: int) -> Waiter:
        """Queue a lease of ``guild_id`` (home pool ``home``) at the back."""
        waiter = Waiter(guild_id, home)
        self._waiters.append(waiter)
        return waiter

    def leave(self, waiter: Waiter) -> None:
        """Take a cancelled waiter out (a stale one would queue every newcomer)."""
        if waiter in self._waiters:
            self._waiters.remove(waiter)

    def put_back(self, waiter: Waiter) -> None:
        """Return a waiter taken by :meth:`take` to the front (nothing could be handed)."""
        self._waiters.appendleft(waiter)

    def take(self, freed: int) -> Waiter | None:
        """Take the waiter to hand pool ``freed``'s connection to, or None if none waits.

        The first waiter whose home is ``freed`` within :data:`AFFINITY_WINDOW`, unless the
        head was already overtaken :data:`MAX_OVERTAKES` times; else the head. Waiters
        ahead of the chosen one count one more overtake (the head always has the most).
        """
        waiters = self._waiters
        while waiters and waiters[0].handed.done():  # cancelled while waiting
            waiters.popleft()
        if not waiters:
            return None
        position = 0
        if waiters[0].overtaken < MAX_OVERTAKES:
            for i in range(min(AFFINITY_WINDOW, len(waiters))):
                if waiters[i].home == freed and not waiters[i].handed.done():
                    position = i
                    break
        for i in range(position):
            waiters[i].overtaken += 1
        self.overtakes += position > 0
        chosen = waiters[position]
        del waiters[position]
        return chosen
