"""``guildhall tenants …``: the registry, provisioning, enable and disable."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from app.cli._common import (
    JsonOption,
    console,
    disable_reason,
    guild_id,
    guild_name,
    id_column,
    print_json,
    run,
    tenancy_for,
    tenant_json,
    until_date,
    until_text,
)
from app.models.shared import Tenant, TenantStatus
from app.tenancy import TenantState


class ListedStatus(StrEnum):
    """What ``tenants list`` shows in its status column (an expired guild is stored active)."""

    active = "active"
    disabled = "disabled"
    left = "left"
    expired = "expired"


tenants_app = typer.Typer(help="Inspect and manage guild tenants.", no_args_is_help=True)


@tenants_app.command("provision")
def provision_command(
    guild_ids: Annotated[list[str], typer.Argument(help="Guild ids to provision.")],
    name: Annotated[str, typer.Option(help="Guild name to record.")] = "",
    jobs: Annotated[int, typer.Option(min=1, max=16, help="Guilds at once.")] = 4,
) -> None:
    """Create the tenant (schema + registry row) of one or more guilds; idempotent."""
    ids = [guild_id(value) for value in guild_ids]  # all valid before anything is created
    name = guild_name(name)

    async def main() -> list[str]:
        async with tenancy_for() as tenancy:
            results = await tenancy.provision_many(ids, names=dict.fromkeys(ids, name), jobs=jobs)
        return [r.error for r in results if r.error] + [
            f"{sum(r.created for r in results)} created, "
            f"{sum(not r.created and not r.error for r in results)} already present, "
            f"{sum(bool(r.error) for r in results)} failed"
        ]

    *errors, summary = run(main())
    for error in errors:
        console.print(f"[red]{error}[/red]", highlight=False)
    console.print(summary, highlight=False)
    if errors:
        raise typer.Exit(1)


@tenants_app.command("list")
def list_command(
    status: Annotated[
        ListedStatus | None,
        typer.Option(help="Only tenants with this status, as the list shows it."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List every tenant with its status."""

    async def main() -> list[Tenant]:
        async with tenancy_for():
            query = Tenant.all().order_by("guild_id")
            if status is not None:  # narrow in SQL; "expired" is an active row past its date
                stored = TenantStatus.ACTIVE if status is ListedStatus.expired else status.value
                query = query.filter(status=stored)
            return await query

    tenants = run(main())
    if status is not None:
        now = datetime.now(UTC)
        tenants = [t for t in tenants if TenantState.of(t).effective_status(now) == status.value]
    if as_json:
        print_json([tenant_json(t) for t in tenants])
        return
    if not tenants:
        which = f" with status {status}" if status is not None else ""
        console.print(
            f"no tenants{which}: a guild gets one when the bot joins it "
            "(or with `guildhall tenants provision ID`)",
            highlight=False,
            soft_wrap=True,
        )
        return
    table = Table(id_column(), "name", "status", "reason", "paid until", "schema version")
    for tenant in tenants:
        row = tenant_json(tenant)
        table.add_row(
            str(tenant.guild_id),
            tenant.name,
            row["effective_status"],
            tenant.reason or "",
            row["paid_until"] or "",
            tenant.schema_version,
        )
    console.print(table)
    console.print(f"{len(tenants)} tenant(s)", highlight=False)


@tenants_app.command("show")
def show_command(
    guild: Annotated[str, typer.Argument(help="Guild id.")], as_json: JsonOption = False
) -> None:
    """Show one tenant's registry row."""
    gid = guild_id(guild)

    async def main() -> Tenant:
        async with tenancy_for() as tenancy:
            return await tenancy.get(gid)

    row = tenant_json(run(main()))
    if as_json:
        print_json(row)
        return
    for key, value in row.items():
        console.print(f"[bold]{key}[/bold]: {value if value is not None else ''}", highlight=False)


@tenants_app.command("enable")
def enable_command(
    guild: Annotated[str, typer.Argument(help="Guild id.")],
    until: Annotated[
        str | None, typer.Option(help="Serve until this date (YYYY-MM-DD, UTC) only.")
    ] = None,
) -> None:
    """Serve a guild again; its data was kept while it was disabled."""
    gid, paid_until = guild_id(guild), until_date(until)

    async def main() -> Tenant:
        async with tenancy_for() as tenancy:
            return await tenancy.enable(gid, until=paid_until)

    tenant = run(main())
    suffix = f" until {until_text(until)}" if until and tenant.paid_until else ""
    console.print(f"guild {gid} enabled{suffix}", highlight=False)


@tenants_app.command("disable")
def disable_command(
    guild: Annotated[str, typer.Argument(help="Guild id.")],
    reason: Annotated[str | None, typer.Option(help="Shown to the guild's members.")] = None,
) -> None:
    """Refuse a guild's commands; nothing is deleted."""
    gid, reason = guild_id(guild), disable_reason(reason)

    async def main() -> Tenant:
        async with tenancy_for() as tenancy:
            return await tenancy.disable(gid, reason=reason)

    run(main())
    console.print(f"guild {gid} disabled" + (f" ({reason})" if reason else ""), highlight=False)
