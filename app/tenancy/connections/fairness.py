"""Fair shares of the shared tier: one busy guild never holds every shared connection.

Every guild that is not pinned — and every pinned guild whose own connections are all in use
(its overflow) — leases from one shared pool. Without a bound, one guild under a raid could
hold all of it and every other guild would queue behind it. :class:`FairShare` caps the
shared-tier leases one guild may hold at once (``max_shared_leases``); a lease beyond the cap
waits up to ``wait_seconds`` for one of the guild's own leases to end, behind at most
``max_waiting`` others of the same guild, and is otherwise refused with :class:`GuildBusy`
(the bot answers "this server is busy, try again in a moment"). Other guilds never wait for
this guild's cap: the queue is per guild.

So a guild may hold at most ``TENANT_POOL_MAX`` pinned connections (if pinned) plus
``max_shared_leases`` shared ones at once. Memory is per guild with leases held or waiting;
an idle guild leaves no entry behind.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from app.tenancy.errors import TenancyError

#: Why a lease was refused (the counters in ConnectionStats use these names).
WAIT_TIMEOUT = "wait_timeout"
QUEUE_FULL = "queue_full"


@dataclass(frozen=True)
class FairShareLimits:
    """How much of the shared tier one guild may hold, and how long a lease may wait."""

    #: Shared-tier leases one guild may hold at once; 0 means no cap.
    max_shared_leases: int = 0
    #: How long a lease beyond the cap waits for one of the guild's leases to end.
    wait_seconds: float = 1.0
    #: Leases of one guild that may wait at once; more are refused immediately.
    max_waiting: int = 8

    @classmethod
    def for_shared_tier(
        cls, shared_tier: int, *, wait_seconds: float = 1.0, max_waiting: int = 8
    ) -> FairShareLimits:
        """The default cap: an eighth of the shared tier (at least 1): 2 of the default 18.

        Measured with ``python -m bench fairness`` (guild_db path, README "Measured"): with a
        cap of 2 the quiet guilds' p99 stayed within 1.02-1.10x of their p99 without the noisy
        guild on a loaded machine; 4 ranged from 1.13x to 1.62x, and no cap gave 7.7-16x.
        """
        return cls(max(1, shared_tier // 8), wait_seconds, max_waiting)


class GuildBusy(TenancyError):
    """The guild already holds its share of the shared tier; the lease was refused."""

    def __init__(self, guild_id: int, reason: str, limits: FairShareLimits) -> None:
        self.guild_id = guild_id
        self.reason = reason
        why = (
            f"waited {limits.wait_seconds:g} s"
            if reason == WAIT_TIMEOUT
            else f"{limits.max_waiting} leases already waiting"
        )
        super().__init__(
            f"guild {guild_id} holds its {limits.max_shared_leases} shared connections "
            f"({why}); try again in a moment, or raise GUILD_SHARED_LEASES_MAX"
        )


class FairShare:
    """Per-guild caps on shared-tier leases, with a bounded wait and refusal counters."""

    def __init__(self, limits: FairShareLimits | None = None) -> None:
        self.limits = limits or FairShareLimits()
        self._held: dict[int, int] = {}
        self._waiting: dict[int, deque[asyncio.Future[None]]] = {}
        #: Leases that got a slot only after waiting, and refusals per reason.
        self.delayed = 0
        self.refused = {WAIT_TIMEOUT: 0, QUEUE_FULL: 0}

    def held(self, guild_id: int) -> int:
        """Shared-tier leases the guild holds now."""
        return self._held.get(guild_id, 0)

    def waiting(self, guild_id: int) -> int:
        """Leases of the guild waiting for one of its slots now."""
        return len(self._waiting.get(guild_id, ()))

    async def acquire(self, guild_id: int) -> None:
        """Take one of the guild's slots; wait (bounded) or raise :class:`GuildBusy`."""
        cap = self.limits.max_shared_leases
        held = self._held.get(guild_id, 0)
        if cap == 0 or (held < cap and not self._waiting.get(guild_id)):
            self._held[guild_id] = held + 1
            return
        queue = self._waiting.setdefault(guild_id, deque())
        if len(queue) >= self.limits.max_waiting or self.limits.wait_seconds <= 0:
            reason = QUEUE_FULL if self.limits.wait_seconds > 0 else WAIT_TIMEOUT
            self._forget_queue(guild_id)
            self._refuse(guild_id, reason)
        slot: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(slot)
        try:
            async with asyncio.timeout(self.limits.wait_seconds):
                await slot
        except TimeoutError:
            if not _handed(slot):
                self._drop_waiter(guild_id, slot)
                self._refuse(guild_id, WAIT_TIMEOUT)
        except asyncio.CancelledError:
            if _handed(slot):  # the slot arrived with the cancellation: pass it on
                self.release(guild_id)
            else:
                self._drop_waiter(guild_id, slot)
            raise
        self.delayed += 1

    def release(self, guild_id: int) -> None:
        """Give a slot back: to the guild's oldest waiting lease, if any."""
        queue = self._waiting.get(guild_id)
        while queue:
            slot = queue.popleft()
            if not slot.done():
                slot.set_result(None)  # the slot changes hands; the held count stays
                self._forget_queue(guild_id)
                return
        self._forget_queue(guild_id)
        held = self._held.get(guild_id, 0) - 1
        if held > 0:
            self._held[guild_id] = held
        else:
            self._held.pop(guild_id, None)

    def _refuse(self, guild_id: int, reason: str) -> None:
        self.refused[reason] += 1
        raise GuildBusy(guild_id, reason, self.limits)

    def _drop_waiter(self, guild_id: int, slot: asyncio.Future[None]) -> None:
        queue = self._waiting.get(guild_id)
        if queue is not None and slot in queue:
            queue.remove(slot)
        self._forget_queue(guild_id)

    def _forget_queue(self, guild_id: int) -> None:
        if not self._waiting.get(guild_id, True):
            del self._waiting[guild_id]


def _handed(slot: asyncio.Future[None]) -> bool:
    """Whether a release handed ``slot`` its lease (even if the waiter was cancelled since)."""
    return slot.done() and not slot.cancelled()
