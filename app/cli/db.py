"""``guildhall db …``: the database server and migrations."""

from __future__ import annotations

import typer

from app.cli._common import run, tenancy_for

db_app = typer.Typer(help="The database: URL, migrations, versions.", no_args_is_help=True)


@db_app.command("url")
def url_command() -> None:
    """Print the effective database URL (starts the embedded server when none is set)."""

    async def main() -> str:
        async with tenancy_for() as tenancy:
            return tenancy.address.dsn

    print(run(main()))
