"""Run ``python -m app`` as an operator would, for the tests that check what it prints."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from app.tenancy.connections.config import ServerAddress

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60.0


async def guildhall(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, list[str]]:
    """Run ``python -m app ARGS``; its exit code and its stderr lines."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(proc.communicate(), TIMEOUT_S)
    assert proc.returncode is not None
    return proc.returncode, stderr.decode().splitlines()


def cli_env(address: ServerAddress) -> dict[str, str]:
    """Our environment minus every Guildhall setting, pointed at ``address``."""
    names = ("DISCORD_", "DATABASE_URL", "TENANT_", "LOG_", "HEALTH_")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(names)}
    env["PYTHONPATH"] = str(REPO)
    return env | {"DATABASE_URL": address.dsn, "DISCORD_TOKEN": "token", "COLUMNS": "300"}
