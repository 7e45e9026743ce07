"""Who opted out of XP tracking (the shared ``User`` table), cached per process.

The XP path asks on every counted message, so the answer must not cost a query: answers are
cached and dropped when an opt-out changes — in this process at once, in the others through
``NOTIFY`` on :data:`CHANNEL` (the status listener hears it). A change that lands while an
answer is being read is never lost: each invalidation bumps a generation, and an answer read
across a bump is used once but not stored.
"""

from __future__ import annotations

from collections import OrderedDict

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.models.shared import User
from app.tenancy.connections.config import SHARED_ALIAS

#: NOTIFY channel; the payload is the user id whose opt-out changed.
CHANNEL = "guildhall_user_opt_out"
#: Answers kept at most (LRU); a miss costs one indexed query.
DEFAULT_CAPACITY = 100_000


class OptOutCache:
    """user id → opted out?, loaded from the shared ``User`` table on first use."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._answers: OrderedDict[int, bool] = OrderedDict()
        self._generation = 0

    async def is_opted_out(self, user_id: int) -> bool:
        """True if the user turned XP tracking off in every guild."""
        answer = self._answers.get(user_id)
        if answer is not None:
            self._answers.move_to_end(user_id)
            return answer
        generation = self._generation
        answer = await User.filter(user_id=user_id, tracking_opt_out=True).exists()
        if generation == self._generation:  # nothing changed while we read: safe to keep
            self._answers[user_id] = answer
            if len(self._answers) > self._capacity:
                self._answers.popitem(last=False)
        return answer

    async def set(self, user_id: int, opted_out: bool) -> None:
        """Record the user's choice, announce it to every process, forget the cached answer."""
        async with in_transaction(SHARED_ALIAS) as conn:
            updated = (
                await User.filter(user_id=user_id).using_db(conn).update(tracking_opt_out=opted_out)
            )
            if not updated and opted_out:  # no row means "tracked": opting in needs none
                try:
                    async with in_transaction(SHARED_ALIAS) as inner:  # a savepoint
                        await User.create(user_id=user_id, tracking_opt_out=True, using_db=inner)
                except IntegrityError:  # created concurrently (another shard, a double click)
                    await User.filter(user_id=user_id).using_db(conn).update(tracking_opt_out=True)
            await conn.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, str(user_id)])
        self.invalidate(user_id)

    def invalidate(self, user_id: int | None = None) -> None:
        """Forget one user's answer (or all: after a reconnect, notifications may be lost)."""
        self._generation += 1
        if user_id is None:
            self._answers.clear()
        else:
            self._answers.pop(user_id, None)

    async def on_notify(self, user_id: int | None) -> None:
        """The listener's handler for :data:`CHANNEL`."""
        self.invalidate(user_id)
