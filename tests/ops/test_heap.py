"""app/heap.py: start-up objects frozen out of full collections, every collection timed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from app import heap


@pytest.fixture(autouse=True)
def nothing_frozen() -> Iterator[None]:
    """Each test starts and ends with no object frozen (the process's collector as usual)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


class Node:
    """A weak-referenceable object that can sit in a reference cycle."""

    other: Node | None = None


def cycle() -> weakref.ref[Node]:
    """A two-object cycle nothing else refers to; only the collector can free it."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_every_collection_is_reported_with_its_generation_and_duration() -> None:
    seen: list[tuple[int, float]] = []
    with heap.watching_pauses(lambda generation, seconds: seen.append((generation, seconds))):
        gc.collect(0)
        gc.collect(2)
    assert [generation for generation, _ in seen][-2:] == [0, 2]
    assert all(seconds >= 0 for _, seconds in seen)
    after = len(seen)
    gc.collect()
    assert len(seen) == after, "the callback outlived its block"


def test_frozen_objects_are_skipped_by_collections_until_thawed() -> None:
    """What freezing means: a cycle alive at the freeze is not collected once it becomes
    garbage, however often the collector runs, until the objects are thawed (hence: once,
    after start-up)."""
    alive = gc.get_freeze_count()
    kept = Node()
    kept.other = Node()
    kept.other.other = kept
    ref = weakref.ref(kept)
    frozen = heap.freeze_long_lived()
    assert frozen > alive
    del kept  # garbage now, but frozen
    gc.collect()
    assert ref() is not None, "a frozen cycle was collected"
    later = cycle()  # made after the freeze: collected as usual
    gc.collect()
    assert later() is None
    heap.thaw()
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None


def test_garbage_is_collected_before_the_freeze_not_frozen() -> None:
    """A cycle that is already garbage when the bot freezes is collected, not kept."""
    ref = cycle()
    heap.freeze_long_lived()
    assert ref() is None
