"""The bot's side of gateway sharding: which shards need a reconcile, events' shards, health.

A process connects the shards in ``SHARD_IDS`` (all of them by default). Each shard's full
READY (after an IDENTIFY; a RESUME sends none) lists every guild of that shard, so it is the
moment to compare the registry with Discord for that shard — including marking ``left`` the
guilds that removed the bot while nobody was connected. disnake announces a full READY with
``shard_connect`` (never on a RESUME) and, once the guilds have streamed in, ``ready``.

One trap (docs/library-behaviour.md, "disnake: sharded READY and the guild cache"): a shard
that IDENTIFYs again mid-session gets its READY guilds re-added, but the cache is not cleared,
so a guild removed while the shard was away stays in ``bot.guilds``. Such a guild is
recognisable at ``shard_connect`` time: READY's guilds were just replaced by unavailable
placeholders, a stale one is still the old, available object. :class:`PendingShards`
remembers those.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import disnake

from app.sharding import ShardScope, shard_of


@dataclass(frozen=True)
class ReadyShards:
    """Shards whose full READY is to be reconciled, and the guilds cached from before it."""

    scope: ShardScope
    #: guild objects still cached from before the READY (see the module's trap); held here,
    #: so that no new object can take over one's ``id()``
    stale: tuple[disnake.Guild, ...]

    def present(self, guilds: Iterable[disnake.Guild]) -> dict[int, str]:
        """The guilds on these shards (id → name), as the cache has them now.

        A stale guild counts as present again if a GUILD_CREATE replaced its cached object
        since (it was added back).
        """
        shards, stale = self.scope.shard_ids, {id(g) for g in self.stale}
        return {g.id: g.name for g in guilds if g.shard_id in shards and id(g) not in stale}


@dataclass
class PendingShards:
    """Shards that had a full READY since their last reconcile, and their stale guilds."""

    #: shard id → the guild objects of that shard still cached from before its READY
    _stale: dict[int, list[disnake.Guild]] = field(default_factory=dict)

    def identified(self, shard_id: int, guilds: Iterable[disnake.Guild]) -> None:
        """Shard ``shard_id`` just got a READY; call synchronously, before any GUILD_CREATE."""
        self._stale[shard_id] = [g for g in guilds if g.shard_id == shard_id and not g.unavailable]

    def take(self, shard_count: int) -> ReadyShards | None:
        """The pending shards (None: none); they are no longer pending afterwards."""
        if not self._stale:
            return None
        stale = tuple(g for shard in self._stale.values() for g in shard)
        ready = ReadyShards(ShardScope(tuple(sorted(self._stale)), shard_count), stale)
        self._stale.clear()
        return ready


def event_shard(event: str, args: tuple[Any, ...], shard_count: int | None) -> int | None:
    """The shard an event came from, when it says: ``shard_*`` events, or a guild's events."""
    if not args:
        return None
    first = args[0]
    if event.startswith("shard_") and isinstance(first, int):
        return first
    guild = first if isinstance(first, disnake.Guild) else getattr(first, "guild", None)
    if isinstance(guild, disnake.Guild):
        return guild.shard_id
    guild_id = getattr(first, "guild_id", None)
    if isinstance(guild_id, int) and shard_count:
        return shard_of(guild_id, shard_count)
    return None


def _latency_ms(seconds: float) -> float | None:
    return round(seconds * 1000, 1) if math.isfinite(seconds) else None


def shards_status(
    shards: Mapping[int, disnake.ShardInfo], guilds: Iterable[disnake.Guild]
) -> dict[str, dict[str, Any]]:
    """For ``/healthz``: each shard's gateway state, heartbeat latency and guild count."""
    counts: dict[int, int] = {}
    for guild in guilds:
        counts[guild.shard_id] = counts.get(guild.shard_id, 0) + 1
    return {
        str(shard_id): {
            "state": "disconnected" if info.is_closed() else "connected",
            "latency_ms": _latency_ms(info.latency),
            "guilds": counts.get(shard_id, 0),
        }
        for shard_id, info in sorted(shards.items())
    }
