"""Keeping spare schemas ready for joining guilds, refilled in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class SpareRefill:
    """One background refill at a time; a request while it runs makes it run another pass."""

    def __init__(self, refill: Callable[[], Awaitable[object]], count: int) -> None:
        self._refill = refill
        self.count = count
        # A strong reference, so the task is not collected mid-flight.
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def schedule(self) -> None:
        """Refill in the background (no-op when no spares are wanted)."""
        if self.count <= 0:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._run(), name="guildhall-refill-spares")

    async def _run(self) -> None:
        """Refill until nobody asked for another pass; failures are logged, never raised."""
        while True:
            self._again = False
            try:
                report = await self._refill()
            except Exception as exc:  # an outage, say: one line, the next join retries
                log.warning(
                    "refilling spare schemas failed (%s: %s); retrying after the next join",
                    type(exc).__name__,
                    exc,
                )
                return
            log.debug("spare schemas refilled: %s", report)
            if not self._again:
                return

    @property
    def running(self) -> bool:
        """Whether a refill is in flight."""
        return self._task is not None and not self._task.done()

    async def wait(self) -> None:
        """Wait for the refill in flight (if any) to finish."""
        if self._task is not None:
            await self._task

    async def stop(self) -> None:
        """Cancel a refill in flight."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
