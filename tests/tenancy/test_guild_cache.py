"""Per-guild caches: loaded once per process, dropped when any process announces a change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from app.cogs import _guild_settings as guild_settings
from app.models.tenant import GuildSettings
from app.tenancy import TENANT_ALIAS, GuildCache, current_tenancy, guild_db
from app.tenancy.registry.guild_cache import CHANNEL
from app.tenancy.registry.listener import CHANNEL as STATUS_CHANNEL

#: The most a change may take to reach this process once it is committed.
WITHIN = 1.0


async def _within(probe: Callable[[], bool], seconds: float = WITHIN) -> bool:
    """Whether ``probe()`` becomes true within ``seconds`` (polled every 10 ms)."""
    for _ in range(int(seconds / 0.01)):
        if probe():
            return True
        await asyncio.sleep(0.01)
    return probe()


def _settings_cache() -> GuildCache[guild_settings.GuildConfig]:
    return current_tenancy().guild_caches.kind(guild_settings.KIND)


async def _dropped(cache: GuildCache[object], guild_id: int) -> bool:
    return await _within(lambda: cache.peek(guild_id) is None)


async def _loaded(guild_id: int) -> guild_settings.GuildConfig:
    async with guild_db(guild_id):
        return await guild_settings.current(guild_id)


@pytest.fixture
async def admin(database) -> asyncpg.Connection:
    """A plain connection standing for another process (a shard, a replica)."""
    conn = await asyncpg.connect(database.dsn)
    yield conn
    await conn.close()


async def test_settings_are_read_once_then_from_memory(tenancy, provisioned) -> None:
    """The first read loads the guild's settings; later reads make no query."""
    guild = await provisioned()
    cache = _settings_cache()
    first = await _loaded(guild)
    misses = cache.misses
    for _ in range(5):
        assert await _loaded(guild) is first
    assert cache.misses == misses


async def test_a_change_announced_by_another_process_drops_the_copy_within_a_second(
    tenancy, provisioned, admin
) -> None:
    """A settings change committed elsewhere (NOTIFY) reaches this process's cache."""
    guild = await provisioned()
    assert (await _loaded(guild)).xp_enabled
    schema = f"guild_{guild}"
    async with admin.transaction():
        await admin.execute(
            f'INSERT INTO "{schema}".guild_settings (id, xp_enabled, updated_at) '
            "VALUES (1, false, now())"
        )
        await admin.execute("SELECT pg_notify($1, $2)", CHANNEL, str(guild))
    assert await _dropped(_settings_cache(), guild)
    assert not (await _loaded(guild)).xp_enabled


async def test_a_status_change_drops_every_cached_value_of_the_guild(
    tenancy, provisioned, admin
) -> None:
    """A tenant status change (disable, purge, rejoin) drops the guild's cached settings."""
    guild, other = await provisioned(), await provisioned()
    await _loaded(guild)
    await _loaded(other)
    await admin.execute("SELECT pg_notify($1, $2)", STATUS_CHANNEL, str(guild))
    cache = _settings_cache()
    assert await _dropped(cache, guild)
    assert cache.peek(other) is not None


async def test_change_in_this_process_is_seen_at_once(tenancy, provisioned) -> None:
    """The process that changes a setting reads the new value right away."""
    guild = await provisioned()
    await _loaded(guild)
    async with guild_db(guild):
        changed = await guild_settings.update(guild, language="fr", xp_enabled=False)
    assert changed.language == "fr" and not changed.xp_enabled
    assert (await _loaded(guild)).language == "fr"


async def test_a_load_overtaken_by_a_change_is_not_kept(tenancy, provisioned) -> None:
    """A value read before a change was announced is returned but never cached."""
    guild = await provisioned()
    cache: GuildCache[str] = GuildCache("test")
    release = asyncio.Event()

    async def slow_load() -> str:
        await release.wait()
        return "stale"

    reading = asyncio.create_task(cache.get(guild, slow_load))
    await asyncio.sleep(0)
    cache.invalidate(guild)
    release.set()
    assert await reading == "stale"
    assert cache.peek(guild) is None


async def test_announce_is_heard_only_when_the_change_commits(tenancy, provisioned, admin) -> None:
    """A change rolled back announces nothing to other processes."""
    guild = await provisioned()
    heard: list[str] = []
    await admin.add_listener(CHANNEL, lambda *args: heard.append(args[-1]))
    with pytest.raises(RuntimeError):
        async with guild_db(guild), in_transaction(TENANT_ALIAS) as conn:
            await GuildSettings.create(id=1, using_db=conn)
            await current_tenancy().guild_caches.announce_change(conn, guild)
            raise RuntimeError("rolled back")
    async with guild_db(guild):
        await guild_settings.update(guild, xp_enabled=False)
    assert await _within(lambda: bool(heard))
    assert heard == [str(guild)]
