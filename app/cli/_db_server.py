"""What the ``guildhall db …`` commands share: the server for one command, the options."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import typer

from app.cli._data_home import announce_embedded
from app.cli.failures import probe_database
from app.postgres import DatabaseServer, open_server
from app.settings import load_settings
from app.tenancy import ServerAddress

MigrationsOption = Annotated[
    Path | None,
    typer.Option(
        "--migrations",
        help="Migrations folder holding shared/ and tenant/ (default: the shipped one).",
        exists=True,
        file_okay=False,
    ),
]


@asynccontextmanager
async def server_up() -> AsyncIterator[DatabaseServer]:
    """The configured server, up (the embedded one started) until the block ends."""
    settings = load_settings()
    if settings.database_url:
        await probe_database(settings.database_url)  # a refused login: one line
    announce_embedded(settings)
    server = await open_server(settings.database_url, settings.data_dir)
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def server_address() -> AsyncIterator[ServerAddress]:
    """The configured server's address (the embedded one is started and stopped)."""
    async with server_up() as server:
        yield server.address
