"""The tenancy core and the server management import cleanly on their own, in any order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PACKAGES = [
    "app.tenancy",
    "app.tenancy.schemas",
    "app.tenancy.migrations",
    "app.tenancy.guild_data",
    "app.postgres",
    "app.postgres.server",
    "app.postgres.embedded",
]


def _import_first(module: str) -> subprocess.CompletedProcess[str]:
    code = (
        f"import sys, {module}\n"
        "assert 'disnake' not in sys.modules, 'imports disnake'\n"
        "assert 'app.cogs' not in sys.modules, 'imports the cogs'\n"
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, "-W", "error", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("module", PACKAGES)
def test_module_imports_first_without_cycle_or_disnake(module: str) -> None:
    """Importing the module first in a fresh interpreter works and pulls in no disnake or cogs."""
    result = _import_first(module)
    assert result.returncode == 0, result.stderr
