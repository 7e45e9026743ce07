"""Helpers for the operator-facing tests: run the real ``guildhall`` command as a subprocess."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.health import HealthServer
from app.tenancy.registry.runtime import Tenancy


@dataclass(frozen=True)
class CliResult:
    """What a ``guildhall`` run printed and returned."""

    code: int
    stdout: str
    stderr: str


RunCli = Callable[..., Awaitable[CliResult]]


@pytest.fixture
def cli(tenancy: Tenancy, tmp_path: Path) -> RunCli:
    """``await cli("tenants", "show", "1")``: ``python -m app`` against the test database.

    Runs in a subprocess (a second process, like an operator's shell next to the bot) without
    blocking the event loop, so this process's listener keeps running meanwhile.
    """

    async def run(*args: str, stdin: str | None = None, **env: str) -> CliResult:
        environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DISCORD_", "TENANT_", "LOG_", "HEALTH_"))
        }
        environ.update(DATABASE_URL=tenancy.address.dsn, LOG_FORMAT="text", COLUMNS="200")
        # No operator's ~/.config/guildhall/.env either (app/env_files.py reads it).
        environ.update(XDG_CONFIG_HOME=str(tmp_path / "no-user-config"))
        environ.pop("GUILDHALL_ENV_FILE", None)
        environ.update(env)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app",
            *args,
            cwd=tmp_path,  # no stray .env
            env=environ,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(
            process.communicate(stdin.encode() if stdin is not None else None), timeout=120
        )
        assert process.returncode is not None
        return CliResult(process.returncode, out.decode(), err.decode())

    return run


@pytest.fixture
async def health(tenancy: Tenancy) -> AsyncIterator[tuple[HealthServer, dict[str, Any]]]:
    """A started health server on a free port whose gateway state the test sets."""
    gateway: dict[str, Any] = {"ok": True, "latency_ms": 41.5, "shards": [0]}
    server = HealthServer("127.0.0.1", 0, lambda: gateway, tenancy)
    await server.start()
    try:
        yield server, gateway
    finally:
        await server.stop()
