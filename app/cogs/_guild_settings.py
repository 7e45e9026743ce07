"""A guild's settings as the features read them: from this process's cache, loaded once.

The XP path reads them on every message, so a read costs no round trip once the guild's
settings are cached; ``/config`` changes them through :func:`update` (and friends), which
announce the change so every process drops its copy (:mod:`app.tenancy.registry.guild_cache`).
Loading and changing run inside ``async with guild_db(guild_id):``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from app.models.tenant import GuildSettings, NoXpChannel
from app.tenancy import TENANT_ALIAS, GuildCache, current_tenancy

#: The cache kind (and NOTIFY payload prefix) of guild settings.
KIND = "settings"
#: The one settings row's id.
ROW_ID = 1
#: Level-up announcement modes.
LEVEL_UP_OFF, LEVEL_UP_SAME, LEVEL_UP_CHANNEL = "off", "same", "channel"


@dataclass(frozen=True)
class GuildConfig:
    """A guild's settings; the defaults are what a guild that never ran /config gets."""

    xp_enabled: bool = True
    no_xp_channels: frozenset[int] = field(default_factory=frozenset)
    level_up_mode: str = LEVEL_UP_OFF
    level_up_channel_id: int | None = None
    level_up_template: str | None = None
    tag_creator_role_id: int | None = None
    language: str | None = None

    def counts_messages_in(self, channel_id: int) -> bool:
        """Whether a message posted in ``channel_id`` is counted and may earn XP."""
        return self.xp_enabled and channel_id not in self.no_xp_channels


def _cache() -> GuildCache[GuildConfig]:
    return current_tenancy().guild_caches.kind(KIND)


async def _load() -> GuildConfig:
    row = await GuildSettings.get_or_none(id=ROW_ID)
    channels = frozenset(row.channel_id for row in await NoXpChannel.all())
    if row is None:
        return GuildConfig(no_xp_channels=channels)
    return GuildConfig(
        xp_enabled=row.xp_enabled,
        no_xp_channels=channels,
        level_up_mode=row.level_up_mode,
        level_up_channel_id=row.level_up_channel_id,
        level_up_template=row.level_up_template,
        tag_creator_role_id=row.tag_creator_role_id,
        language=row.language,
    )


async def current(guild_id: int) -> GuildConfig:
    """The guild's settings (from the cache; loaded in the caller's binding on a miss)."""
    return await _cache().get(guild_id, _load)


def cached(guild_id: int) -> GuildConfig | None:
    """The guild's settings if this process has them cached, else None (never loads)."""
    return _cache().peek(guild_id)


async def update(guild_id: int, **changes: Any) -> GuildConfig:
    """Change fields of the guild's settings row and announce it; returns the new settings."""
    async with in_transaction(TENANT_ALIAS) as conn:
        if not await GuildSettings.filter(id=ROW_ID).using_db(conn).update(**changes):
            # First change ever: a concurrent first change may create the row too, and
            # get_or_create settles that race (in a savepoint) before the update applies.
            await GuildSettings.get_or_create(id=ROW_ID, using_db=conn)
            await GuildSettings.filter(id=ROW_ID).using_db(conn).update(**changes)
        await current_tenancy().guild_caches.announce_change(conn, guild_id)
    return await current(guild_id)


async def set_no_xp_channel(guild_id: int, channel_id: int, *, no_xp: bool) -> bool:
    """Add (``no_xp``) or remove a no-XP channel; False if it already was / was not one."""
    async with in_transaction(TENANT_ALIAS) as conn:
        if no_xp:
            _, changed = await NoXpChannel.get_or_create(channel_id=channel_id, using_db=conn)
        else:
            changed = bool(await NoXpChannel.filter(channel_id=channel_id).using_db(conn).delete())
        if changed:
            await current_tenancy().guild_caches.announce_change(conn, guild_id)
    return changed
