"""The ``guildhall`` command (Typer + rich). Each sub-command group lives in its own module."""

from __future__ import annotations

import sys

import typer

from app.cli import doctor, tenant_data, users
from app.cli._common import CliError, err_console
from app.cli.db import db_app
from app.cli.failures import database_failure
from app.cli.run import run_command
from app.cli.tenants import tenants_app
from app.log import setup_logging
from app.settings import SettingsError, load_settings
from app.tenancy import TenancyError


def _configure(ctx: typer.Context) -> None:
    """Set up logging from the settings before any sub-command runs."""
    if ctx.resilient_parsing:
        return
    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format)


cli = typer.Typer(
    callback=_configure,
    name="guildhall",
    help="Guildhall: a Discord bot with one PostgreSQL schema per guild.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cli.add_typer(db_app, name="db")
cli.add_typer(tenants_app, name="tenants")
tenant_data.register(tenants_app)
cli.add_typer(users.users_app, name="users")
cli.command("doctor")(doctor.doctor_command)
cli.command("run")(run_command)


def _fail(message: str, code: int) -> None:
    err_console.print(f"guildhall: {message}", highlight=False, markup=False, soft_wrap=True)
    sys.exit(code)


def main() -> None:
    """Entry point of the ``guildhall`` console script and ``python -m app``."""
    from app.postgres import EmbeddedPostgresError

    try:
        cli(prog_name="guildhall")
    except SettingsError as exc:
        _fail(str(exc), 2)
    except CliError as exc:
        _fail(str(exc), exc.exit_code)
    except (TenancyError, EmbeddedPostgresError) as exc:
        _fail(str(exc), 1)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:
        line = database_failure(exc)
        if line is None:
            raise
        _fail(line, 1)
