"""Which guilds a full READY leaves present on a shard, and the shard an event came from."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from app.bot_shards import PendingShards, event_shard
from app.sharding import ShardScope


@dataclass(eq=False)
class Cached:
    """What PendingShards reads of a cached guild (disnake.Guild has the same attributes)."""

    id: int
    shard_id: int
    unavailable: bool
    name: str = ""


def test_a_full_ready_leaves_out_guilds_cached_from_before_it() -> None:
    """Stale (still the old object): absent; READY's placeholders and re-added ones: present."""
    old, kept_elsewhere = Cached(1, 0, False, "old"), Cached(2, 1, False, "other shard")
    placeholder = Cached(3, 0, True, "listed by READY")
    pending = PendingShards()
    cache: list[Any] = [old, kept_elsewhere, placeholder]
    pending.identified(0, cache)

    ready = pending.take(shard_count=2)
    assert ready is not None and ready.scope == ShardScope((0,), 2)
    assert ready.present(cache) == {3: "listed by READY"}
    re_added = Cached(1, 0, False, "old, added back")  # a GUILD_CREATE replaced the object
    assert ready.present([re_added, kept_elsewhere, placeholder]) == {
        1: "old, added back",
        3: "listed by READY",
    }
    assert pending.take(shard_count=2) is None  # nothing new: a RESUME, say


def test_event_shard_from_shard_events_and_guild_ids() -> None:
    """shard_* events carry their shard; an interaction's guild_id maps through the count."""
    assert event_shard("shard_ready", (3,), 4) == 3
    assert event_shard("interaction", (SimpleNamespace(guild_id=5 << 22),), 4) == 1
    assert event_shard("interaction", (SimpleNamespace(guild_id=None),), 4) is None
    assert event_shard("ready", (), 4) is None
