"""Per-process caches of small per-guild data read on hot paths (a guild's settings).

A feature reads, say, a guild's settings on every message through
``current_tenancy().guild_caches.kind("settings")``: the first read loads them inside the
caller's binding, later reads cost no round trip. Whoever changes such data calls
:meth:`GuildCaches.announce_change` inside the changing transaction: every process (shards,
replicas, this one) hears a ``NOTIFY`` on :data:`CHANNEL` (payload: the guild id) and drops
everything it cached of that guild. A tenant status change (disable, purge, rejoin) drops
it too (:meth:`~app.tenancy.Tenancy.drop_cached_state`), and so does a reconnect of the listener,
because notifications sent while it was disconnected are lost.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient

#: The NOTIFY channel; the payload is the guild id whose cached data changed.
CHANNEL = "guildhall_guild_cache"
#: Guilds kept per kind; the least recently read go first (a value is a few hundred bytes).
DEFAULT_CAPACITY = 10_000

T = TypeVar("T")


class GuildCache(Generic[T]):
    """One kind of per-guild value, loaded on first read and kept until told otherwise."""

    def __init__(self, kind: str, capacity: int = DEFAULT_CAPACITY) -> None:
        self.kind = kind
        self.capacity = capacity
        self._values: OrderedDict[int, T] = OrderedDict()
        # Bumped by every invalidation: a load that started before one must not store its
        # (possibly stale) result, or the old value would outlive the change.
        self._generation = 0
        #: Reads answered from memory, and reads that had to load.
        self.hits = 0
        self.misses = 0

    def peek(self, guild_id: int) -> T | None:
        """The cached value, or None; never loads (for code that cannot await)."""
        return self._values.get(guild_id)

    async def get(self, guild_id: int, load: Callable[[], Awaitable[T]]) -> T:
        """The guild's value; on a miss ``load()`` runs (inside the caller's binding)."""
        if guild_id in self._values:
            self.hits += 1
            self._values.move_to_end(guild_id)
            return self._values[guild_id]
        self.misses += 1
        generation = self._generation
        value = await load()
        if generation == self._generation:  # nothing changed while we read: safe to keep
            self._values[guild_id] = value
            while len(self._values) > self.capacity:
                self._values.popitem(last=False)
        return value

    def invalidate(self, guild_id: int | None) -> None:
        """Drop one guild's value (None: every guild's)."""
        self._generation += 1
        if guild_id is None:
            self._values.clear()
        else:
            self._values.pop(guild_id, None)


class GuildCaches:
    """This process's per-guild caches, one per kind, dropped together for a guild."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._kinds: dict[str, GuildCache[Any]] = {}

    def kind(self, name: str) -> GuildCache[Any]:
        """The cache of ``name`` (created at first use)."""
        found = self._kinds.get(name)
        if found is None:
            found = self._kinds[name] = GuildCache(name, self._capacity)
        return found

    def invalidate(self, guild_id: int | None) -> None:
        """Drop what every kind holds of one guild (None: of every guild)."""
        for cache in self._kinds.values():
            cache.invalidate(guild_id)

    async def on_notify(self, guild_id: int | None) -> None:
        """The listener's handler for :data:`CHANNEL` (None: it reconnected)."""
        self.invalidate(guild_id)

    async def announce_change(self, conn: BaseDBAsyncClient, guild_id: int) -> None:
        """Tell every process that ``guild_id``'s cached data changed. Call it inside the
        changing transaction: listeners hear it once the change is committed. This process
        drops its own copy at once too, so the caller's next read sees the change."""
        await conn.execute_query("SELECT pg_notify($1, $2)", list(change_notice(guild_id)))
        self.invalidate(guild_id)


def change_notice(guild_id: int) -> tuple[str, str]:
    """The ``pg_notify`` arguments saying every cached value of ``guild_id`` is stale."""
    return CHANNEL, str(guild_id)
