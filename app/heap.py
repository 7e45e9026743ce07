"""The garbage collector in a long-running bot: keep start-up objects out of full
collections, and time every collection.

CPython's full (generation 2) collection walks every tracked object, and the event loop
waits for it. After start-up the bot holds many objects that live as long as the process
(disnake's guild cache, the models, the tenancy); with 200 guilds each full collection paused
the loop for 50-200 ms (``python -m bench fairness --path bot``), and every command in flight
waited: most of the quiet guilds' p99. :func:`freeze_long_lived` collects once, then moves
the objects still alive into CPython's permanent generation, which collections skip; the bot
calls it once a READY was reconciled, when the start-up objects exist. Frozen objects are
never collected, so it is not repeated on a timer (a cycle that became garbage later would
stay); :func:`thaw` hands them back to the collector when the bot closes.

:func:`watching_pauses` reports every collection's generation and duration (``/metrics``:
``guildhall_gc_pause_seconds``), so a pause that comes back shows up where latency is read.
What this relies on: docs/library-behaviour.md, "CPython: full collections and gc.freeze".
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

#: Called with the generation collected and the pause in seconds.
PauseObserver = Callable[[int, float], None]


def freeze_long_lived() -> int:
    """Collect, then move every object still alive out of the collector's reach; returns
    how many are frozen in all.

    The collection first (one full pause, at start-up) keeps garbage that was not collected
    yet from being frozen with the live objects, where it would stay.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def thaw() -> None:
    """Give the frozen objects back to the collector (the bot closed)."""
    gc.unfreeze()


@contextlib.contextmanager
def watching_pauses(observe: PauseObserver) -> Iterator[None]:
    """Within the block, ``observe(generation, seconds)`` after every collection."""
    started: list[float] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            observe(int(info["generation"]), time.perf_counter() - started.pop())

    gc.callbacks.append(callback)
    try:
        yield
    finally:
        gc.callbacks.remove(callback)
