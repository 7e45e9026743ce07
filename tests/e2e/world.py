"""A running Guildhall bot, its fake Discord and the tenancy behind it: the "world" a story
(tests/e2e) or a command test (tests/bot) acts in.

:func:`open_world` starts the fake, logs an unmodified :class:`~app.bot.GuildhallBot` in to it
over the websocket gateway and REST on 127.0.0.1, and waits until the guilds it found at
start-up are provisioned. :class:`World` then offers what people do (run a slash command,
post a message, add or remove the bot) and what a test checks (registry rows, a guild's rows
read through the ORM or with plain SQL on its schema).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tortoise import connections

from app.bot import FEATURES_PACKAGE, GuildhallBot
from app.models.shared import Tenant, TenantStatus
from app.settings import Settings
from app.tenancy import Tenancy, guild_db
from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.naming import quote_schema, schema_for
from bench.fakediscord import (
    BotErrorCollector,
    FakeDiscord,
    FakeGuild,
    Reply,
    collect_bot_errors,
    running_bot,
)
from bench.fakediscord.models import new_snowflake

T = TypeVar("T")

#: The application's owner, as Discord reports it.
APP_OWNER = 500_000_000_000_000_001
#: An owner only through OWNER_IDS.
EXTRA_OWNER = 500_000_000_000_000_002
ALICE = 600_000_000_000_000_001
BOB = 600_000_000_000_000_002
MOD = 600_000_000_000_000_003

#: Module-name prefix of the bot's features (see :func:`stable_feature_modules`).
FEATURE_MODULES = f"{FEATURES_PACKAGE}."

#: How long a story waits for the bot to do something in its own tasks.
WAIT_S = 15.0


#: Command cooldowns off: stories run commands faster than people do. The cooldown stories
#: (tests/e2e/test_fairness_stories.py) turn them on with the rates they test.
NO_COOLDOWNS: dict[str, Any] = {
    f"cooldown_{kind}_{scope}": None
    for kind in ("tag_create", "note_add", "xp")
    for scope in ("user", "guild")
}


def make_settings(**overrides: Any) -> Settings:
    """Settings that ignore the developer's .env and environment-specific knobs."""
    values: dict[str, Any] = {"owner_ids": frozenset({EXTRA_OWNER}), **NO_COOLDOWNS, **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def make_bot(tenancy: Tenancy, **settings: Any) -> GuildhallBot:
    """A GuildhallBot on the given tenancy, quick to become ready."""
    return GuildhallBot(make_settings(**settings), tenancy, guild_ready_timeout=0.05)


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout_s: float = WAIT_S) -> T:
    """Poll ``probe`` until it returns something truthy (the bot works in its own tasks)."""
    async with asyncio.timeout(timeout_s):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.01)


async def tenant_of(guild_id: int) -> Tenant | None:
    """The guild's registry row, or None."""
    return await Tenant.get_or_none(guild_id=guild_id)


async def has_status(guild_id: int, status: TenantStatus) -> bool:
    """Whether the guild's registry row has ``status`` (for ``eventually``)."""
    tenant = await tenant_of(guild_id)
    return tenant is not None and tenant.status == status


async def schema_exists(guild_id: int) -> bool:
    """Whether the guild's schema ``guild_<id>`` exists in the database."""
    rows = await connections.get(SHARED_ALIAS).execute_query_dict(
        "SELECT to_regnamespace($1) IS NOT NULL AS present", [schema_for(guild_id)]
    )
    return bool(rows[0]["present"])


async def sql_rows(guild_id: int, table: str, columns: str = "*") -> list[dict[str, Any]]:
    """Every row of ``guild_<id>.<table>`` read with plain SQL (no ORM, no binding).

    ``table`` and ``columns`` are test constants, never user input.
    """
    schema = quote_schema(schema_for(guild_id))
    rows: list[dict[str, Any]] = await connections.get(SHARED_ALIAS).execute_query_dict(
        f'SELECT {columns} FROM {schema}."{table}" ORDER BY id'
    )
    return rows


@dataclass
class World:
    """A running bot, its fake Discord, and the tenancy core behind it."""

    fake: FakeDiscord
    bot: GuildhallBot
    tenancy: Tenancy
    errors: BotErrorCollector
    #: the guilds the bot was in when it connected (in the start-up GUILD_CREATE burst)
    startup: list[FakeGuild] = field(default_factory=list)

    async def new_guild(self, name: str = "Test Guild", **options: Any) -> FakeGuild:
        """Add the bot to a fresh guild and wait until the bot has provisioned it; options
        (``channels``, ``locale``, ``bot_permissions``…) go to ``fake.join_guild``."""
        return await self.join(new_snowflake(), name=name, **options)

    async def join(self, guild_id: int, name: str = "Test Guild", **options: Any) -> FakeGuild:
        """Add the bot to a guild (GUILD_CREATE) and wait until it handled the join."""
        # Waiting for the bot's own event, not for a registry row: the row exists before
        # the join is fully recorded, and a test acting in between would race with it.
        joined = self._expect("tenant_joined", guild_id)
        guild = await self.fake.join_guild(guild_id, name=name, **options)
        await joined
        return guild

    async def remove(self, guild_id: int) -> None:
        """Remove the bot from a guild (GUILD_DELETE) and wait until it handled the removal."""
        left = self._expect("tenant_left", guild_id)
        await self.fake.remove_guild(guild_id)
        await left

    def _expect(self, event: str, guild_id: int) -> asyncio.Future[Any]:
        waiter: asyncio.Future[Any] = asyncio.ensure_future(
            self.bot.wait_for(event, check=lambda gid: gid == guild_id, timeout=WAIT_S)
        )
        return waiter

    async def slash(
        self,
        guild: FakeGuild | int,
        user_id: int,
        command: str,
        sub: str | None = None,
        **kwargs: Any,
    ) -> Reply:
        """Run ``/command sub`` as ``user_id`` in ``guild``; kwargs go to ``fake.slash``."""
        guild_id = guild if isinstance(guild, int) else guild.id
        return await self.fake.slash(guild_id, user_id, command, subcommand=sub, **kwargs)

    async def post(self, guild: FakeGuild | int, user_id: int, content: str = "hello") -> None:
        """``user_id`` posts a message in the guild's first channel (MESSAGE_CREATE)."""
        guild_id = guild if isinstance(guild, int) else guild.id
        await self.fake.send_message(guild_id, None, user_id, content)

    async def rows(self, guild: FakeGuild | int, query: Callable[[], Awaitable[T]]) -> T:
        """Run ``query`` bound to the guild's schema (disabled guilds too), for assertions."""
        guild_id = guild if isinstance(guild, int) else guild.id
        async with guild_db(guild_id, require_active=False):
            return await query()


async def wait_provisioned(guild_ids: Iterable[int], timeout_s: float = WAIT_S) -> None:
    """Wait until every guild has an active registry row (on_ready reconciles in a task)."""
    ids = list(guild_ids)

    async def all_active() -> bool:
        active = await Tenant.filter(guild_id__in=ids, status=TenantStatus.ACTIVE).count()
        return active == len(ids)

    await eventually(all_active, timeout_s)


@asynccontextmanager
async def open_world(
    tenancy: Tenancy, *, startup: Iterable[str] = (), **settings: Any
) -> AsyncIterator[World]:
    """A fake Discord with guilds named ``startup`` and a GuildhallBot logged in to it.

    Yields once the bot is ready, its commands are synced and the start-up guilds are
    provisioned. The bot's swallowed errors are collected in ``world.errors``; checking them
    (and ``world.fake.assert_clean()``) is the caller's job.
    """
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    guilds = [fake.add_guild(name=name) for name in startup]
    bot = make_bot(tenancy, **settings)
    with stable_feature_modules():
        async with fake:
            with collect_bot_errors("app") as errors:
                async with running_bot(fake, bot):
                    await wait_provisioned(g.id for g in guilds)
                    yield World(fake, bot, tenancy, errors, guilds)


@contextmanager
def stable_feature_modules() -> Iterator[None]:
    """Keep the feature modules (``app.cogs.*``) of this process the same objects after a bot
    closes.

    disnake's ``close()`` unloads every extension and drops its modules from ``sys.modules``,
    so the next bot in the process would import fresh copies — and a test that monkeypatches
    ``app.cogs.tags._store`` as it imported it would patch a module no bot uses any more. In
    production one bot lives and dies with its process; here many bots share one, so the
    modules are put back as they were.
    """
    loaded = {name: m for name, m in sys.modules.items() if name.startswith(FEATURE_MODULES)}
    try:
        yield
    finally:
        for name, module in loaded.items():
            sys.modules.setdefault(name, module)
