"""``guildhall run``: start the bot and serve until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from app.cli._common import CliError, discord_token, run, tenancy_for
from app.env_files import describe_env_files, env_files_to_read
from app.health import health_server_from_settings
from app.settings import Settings, load_settings
from app.tenancy import report_pending_migrations, retention_loop

if TYPE_CHECKING:
    from app.bot import GuildhallBot

log = logging.getLogger(__name__)


def run_command() -> None:
    """Start the bot: log in to Discord and serve every guild it is in (Ctrl-C stops it)."""
    # disnake (and the cogs) load only here, so the other commands start faster.
    import aiohttp
    import disnake

    settings = load_settings()
    token = discord_token(settings)
    try:
        run(serve(settings, token))
    except disnake.LoginFailure:
        raise CliError(
            "login to Discord failed: the token in DISCORD_TOKEN was rejected", exit_code=1
        ) from None
    except disnake.HTTPException as exc:  # LoginFailure (401) is handled above
        # A 404 at login means the base URL is wrong (a missing /api/v10, a proxy's path).
        raise CliError(
            f"Discord at {settings.discord_api_base} answered {exc.status} to the login; "
            "check DISCORD_API_BASE (a full REST base such as https://discord.com/api/v10)",
            exit_code=1,
        ) from None
    except aiohttp.ClientConnectionError as exc:
        raise CliError(
            f"cannot reach Discord at {settings.discord_api_base} ({exc}); "
            "check the network or DISCORD_API_BASE",
            exit_code=1,
        ) from None


async def serve(settings: Settings, token: str) -> None:
    """Run the bot in this task, on a tenancy opened in this task, until a stop signal.

    Tortoise's state is context-local (docs/library-behaviour.md, "Tortoise: context"): the
    tenancy is opened here and the bot runs here, so every gateway event task inherits it.
    Leaving the block closes every tenant client, Tortoise's connections and the embedded
    server, whatever ended the bot.
    """
    from app.bot import GuildhallBot

    with api_base(settings.discord_api_base):
        async with tenancy_for(settings, listen=True) as tenancy:
            # Where the settings came from (a .env in another directory is not read), once the
            # database is up: a failure before that stays one line.
            log.info("%s", describe_env_files(env_files_to_read()))
            await report_pending_migrations(log)
            bot = GuildhallBot(settings, tenancy)
            async with background_services(settings, bot):
                await run_until_stopped(bot, token)
    log.info("stopped cleanly")


@contextlib.asynccontextmanager
async def background_services(settings: Settings, bot: GuildhallBot) -> AsyncIterator[None]:
    """The health endpoint and the daily retention sweep, for as long as the bot runs."""
    health = health_server_from_settings(settings, bot.gateway_status, bot.tenancy, bot.metrics)
    if health is not None:
        try:
            await health.start()
        except OSError as exc:
            raise CliError(
                f"cannot serve /healthz on {settings.health_host}:{settings.health_port} ({exc});"
                " set HEALTH_PORT to a free port, or 0 to turn the endpoint off"
            ) from None
    retention = asyncio.create_task(
        retention_loop(settings.tenant_retention_days, tenancy=bot.tenancy), name="retention"
    )
    try:
        yield
    finally:
        retention.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await retention
        if health is not None:
            await health.stop()


async def run_until_stopped(bot: GuildhallBot, token: str) -> None:
    """``bot.start(token)``, closing the bot on SIGINT or SIGTERM; the bot is closed on exit."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError):  # not on Windows' default loop
            loop.add_signal_handler(sig, stop.set)

    async def close_when_stopped() -> None:
        await stop.wait()
        log.info("stop signal received; closing the gateway connection")
        await bot.close()

    closer = asyncio.create_task(close_when_stopped(), name="guildhall-stop")
    try:
        await bot.start(token)
    finally:
        # bot.start returns as soon as the gateway closes, while the closer may still be
        # closing the HTTP session: let it finish (cancelling it would leak the session).
        if not stop.is_set():
            closer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closer
        await bot.close()  # idempotent; also closes the HTTP session after a failed login
        for sig in signals:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)


@contextlib.contextmanager
def api_base(url: str) -> Iterator[None]:
    """Send every REST call (and interaction callbacks) to ``url`` while the block runs."""
    # disnake builds every request from this class attribute (docs/library-behaviour.md,
    # "disnake: REST base URL"); it must be set
    # before login and is restored afterwards so nothing else in the process is surprised.
    import disnake

    previous = disnake.http.Route.BASE
    disnake.http.Route.BASE = url
    try:
        yield
    finally:
        disnake.http.Route.BASE = previous
