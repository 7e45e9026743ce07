"""The ``guildhall`` command (Typer + rich). Each sub-command group lives in its own module."""

from __future__ import annotations

import logging
import sys
from importlib.metadata import version
from typing import Annotated

import typer

from app.cli import db_backup, doctor, tenant_data, users
from app.cli._common import CliError, err_console
from app.cli.db import db_app
from app.cli.failures import database_failure
from app.cli.invite import invite_command
from app.cli.run import run_command
from app.cli.tenants import tenants_app
from app.env_files import describe_env_files, env_files_to_read
from app.log import setup_logging
from app.settings import SettingsError, load_settings
from app.tenancy import TenancyError


def _print_version(value: bool) -> None:
    if value:
        print(f"guildhall {version('guildhall')}")
        raise typer.Exit()


def _configure(
    ctx: typer.Context,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log at LOG_LEVEL (default: warnings only).")
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Set up logging from the settings before any sub-command runs.

    Logs go to stderr. Only the bot (``run``) logs at ``LOG_LEVEL`` by default: a one-shot
    command's output is for a person or a script, so its INFO lines stay out unless ``-v``.
    """
    if ctx.resilient_parsing:
        return
    settings = load_settings()
    level: str = settings.log_level
    quiet = ctx.invoked_subcommand != "run" and not verbose
    if quiet and logging.getLevelName(level) < logging.WARNING:
        level = "WARNING"
    setup_logging(level, settings.log_format)
    if ctx.invoked_subcommand != "run":  # the bot says it once its token is checked
        # Shown with -v: a .env left behind in another directory is otherwise invisible.
        logging.getLogger("app.cli").info("%s", describe_env_files(env_files_to_read()))


cli = typer.Typer(
    callback=_configure,
    name="guildhall",
    help="Guildhall: a Discord bot with one PostgreSQL schema per guild.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cli.add_typer(db_app, name="db")
db_backup.register(db_app)
cli.add_typer(tenants_app, name="tenants")
tenant_data.register(tenants_app)
cli.add_typer(users.users_app, name="users")
cli.command("doctor")(doctor.doctor_command)
cli.command("run")(run_command)
cli.command("invite")(invite_command)


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
