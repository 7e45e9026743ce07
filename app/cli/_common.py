"""What every ``guildhall`` sub-command shares: settings, the tenancy core, output, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Column

from app.cli.failures import probe_database
from app.models.shared import Tenant
from app.settings import Settings, load_settings
from app.tenancy import (
    InvalidGuildId,
    InvalidOperatorInput,
    Tenancy,
    TenantState,
    open_tenancy,
    parse_guild_id,
    parse_guild_name,
    parse_reason,
    parse_until,
)

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

#: Every command that reports something takes ``--json`` for machines.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


class CliError(Exception):
    """A failure to report as one line on stderr with a non-zero exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def id_column(header: str = "guild") -> Column:
    """A table column for Discord ids: never cut (``1111111111…``), the one thing operators copy."""
    # A snowflake has up to 19 digits; rich squeezes the other columns to make room.
    return Column(header, no_wrap=True, overflow="fold", min_width=19)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion."""
    return asyncio.run(coro)


#: How each expected failure of a command is said, in one line.
Says = Mapping[type[Exception], Callable[[Exception], str]]


def run_saying(
    coro: Coroutine[Any, Any, T], says: Says, usage: tuple[type[Exception], ...] = ()
) -> T:
    """Run a command's coroutine; an expected failure becomes one line (``usage``: exit 2).

    ``says`` is tried in order: the first type the failure is an instance of words it.
    """
    try:
        return run(coro)
    except usage as exc:
        raise CliError(str(exc), exit_code=2) from None
    except tuple(says) as exc:
        say = next(say for kind, say in says.items() if isinstance(exc, kind))
        raise CliError(say(exc)) from None


@asynccontextmanager
async def tenancy_for(
    settings: Settings | None = None, *, listen: bool = False
) -> AsyncIterator[Tenancy]:
    """The tenancy core on the configured server, for the duration of one command.

    Only the long-running bot (``listen=True``: ``guildhall run``) keeps spare schemas ready.
    A one-shot command may still claim a spare when it provisions, but does not refill: its
    refill would be cancelled at exit (or delay it), and the bot refills on its next join.
    """
    settings = settings or load_settings()
    if settings.database_url:
        await probe_database(settings.database_url)
    from app.cli._data_home import announce_embedded  # it imports err_console from here

    announce_embedded(settings)
    async with open_tenancy(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        budget=settings.connection_budget(),
        idle_seconds=settings.tenant_idle_seconds,
        listen=listen,
        spare_schemas=settings.tenant_spare_schemas if listen else 0,
        fairness=settings.fair_share_limits(),
    ) as tenancy:
        yield tenancy


def discord_token(settings: Settings) -> str:
    """``DISCORD_TOKEN``, or a one-line error saying where to put it."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        raise CliError(
            "DISCORD_TOKEN is not set; put the bot token in the environment or in .env",
            exit_code=2,
        )
    return token


def guild_id(value: str) -> int:
    """A guild id from the command line, or a one-line error."""
    try:
        return parse_guild_id(value.strip())
    except InvalidGuildId as exc:
        raise CliError(str(exc), exit_code=2) from None


def until_date(value: str | None) -> datetime | None:
    """``--until``, read by the same rules as /tenant's ``until`` (a past date is refused)."""
    try:
        return parse_until(value)
    except InvalidOperatorInput as exc:
        raise CliError(f"--until {exc}", exit_code=2) from None


def guild_name(value: str) -> str:
    """``--name``, read by the registry's rule (stripped; a name too long is refused, not cut)."""
    try:
        return parse_guild_name(value)
    except InvalidOperatorInput as exc:
        raise CliError(f"--name: {exc}", exit_code=2) from None


def until_text(value: str) -> str:
    """How ``--until VALUE`` is said back: as the operator wrote it (a date means its end)."""
    text = value.strip()
    if len(text) == len("YYYY-MM-DD"):
        return f"{text} (through the end of that day, UTC)"
    return text


def disable_reason(value: str | None) -> str | None:
    """``--reason``, read by the same rules as /tenant's ``reason`` (stripped, limited)."""
    try:
        return parse_reason(value)
    except InvalidOperatorInput as exc:
        raise CliError(f"--reason: {exc}", exit_code=2) from None


def tenant_json(tenant: Tenant) -> dict[str, Any]:
    """A registry row as the JSON object the CLI prints."""

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "guild_id": tenant.guild_id,
        "schema": tenant.schema_name,
        "name": tenant.name,
        "status": str(tenant.status),
        "effective_status": TenantState.of(tenant).effective_status(),
        "reason": tenant.reason,
        "paid_until": iso(tenant.paid_until),
        "created_at": iso(tenant.created_at),
        "updated_at": iso(tenant.updated_at),
        "left_at": iso(tenant.left_at),
        "schema_version": tenant.schema_version,
    }


def print_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    print(json.dumps(data, indent=2, default=str))
