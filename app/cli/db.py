"""``guildhall db …``: the database server and migrations.

A command with a report of its own lives in its own module (``db_migrate``, ``db_status``,
``db_verify``; ``db_backup`` registers itself); this one gathers them and holds the short ones.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from app.cli._common import CliError, console, err_console, run, run_saying, tenancy_for
from app.cli._db_server import MigrationsOption, server_address
from app.cli.db_migrate import migrate_command
from app.cli.db_status import status_command
from app.cli.db_verify import verify_command
from app.tenancy import MakeMigrationError, MakeMigrationResult, MigrationFileError, make_migration

db_app = typer.Typer(
    help="The database: URL, migrations, versions, backups, psql.", no_args_is_help=True
)


@db_app.command("url")
def url_command() -> None:
    """Print the effective database URL (starts the embedded server when none is set)."""

    async def main() -> str:
        async with tenancy_for() as tenancy:
            return tenancy.address.dsn

    print(run(main()))


db_app.command("migrate")(migrate_command)
db_app.command("status")(status_command)


class MigrationsApp(StrEnum):
    """The two Tortoise apps that have migrations."""

    shared = "shared"
    tenant = "tenant"


def _print_made(app: MigrationsApp, result: MakeMigrationResult) -> None:
    """What was written (and its SQL); drift between migrations and models is an error."""
    if result.path is None:
        console.print(f"no changes in the {app} models; nothing written", highlight=False)
    else:
        console.print(f"wrote {result.path}", highlight=False)
        console.print(
            result.sql or "(empty: write its SQL by hand)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if result.drift:
        for line in result.drift:
            err_console.print(f"drift: {line}", style="yellow", highlight=False, markup=False)
        raise CliError(
            f"replaying the {app} migrations does not give the schema the models' DDL gives "
            "(left: migrations, right: models); edit the migration so new and migrated guild "
            "schemas match"
        )


@db_app.command("makemigrations")
def makemigrations_command(
    app: Annotated[MigrationsApp, typer.Argument(help="Which app's models changed.")],
    name: Annotated[str, typer.Option("--name", help="What the migration does, e.g. add_x.")],
    empty: Annotated[
        bool, typer.Option("--empty", help="Write an empty migration for hand-written SQL.")
    ] = False,
    migrations: MigrationsOption = None,
    models: Annotated[
        list[str] | None,
        typer.Option("--models", help="Model modules instead of the app's (development)."),
    ] = None,
) -> None:
    """Write a new aerich migration for an app's model changes (diffed in a scratch schema)."""

    async def main() -> MakeMigrationResult:
        async with server_address() as address:
            return await make_migration(
                address, app.value, name, root=migrations, models=models, empty=empty
            )

    result = run_saying(main(), {MakeMigrationError: str, MigrationFileError: str})
    _print_made(app, result)


db_app.command("verify")(verify_command)
