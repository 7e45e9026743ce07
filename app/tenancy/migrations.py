"""Where the aerich migration files are and what they say (no database access here)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aerich.utils import decompress_dict

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def migrations_root() -> Path:
    """The folder holding ``shared/`` and ``tenant/`` migrations.

    A source checkout uses ``aerich/`` at the repository root; an installed wheel carries the
    same files as ``app/_migrations``.
    """
    for candidate in (_PACKAGE_DIR.parent / "aerich", _PACKAGE_DIR / "_migrations"):
        if (candidate / "tenant").is_dir():
            return candidate
    raise FileNotFoundError(
        "no aerich migrations found next to the app package; reinstall guildhall"
    )


@dataclass(frozen=True)
class MigrationFile:
    """One aerich migration file: ``<number>_<timestamp>_<name>.py``."""

    path: Path

    @property
    def version(self) -> str:
        """The name aerich records in its table (the file name)."""
        return self.path.name

    @property
    def number(self) -> int:
        """The ordering number at the start of the file name."""
        return int(self.path.name.split("_", 1)[0])


def list_migrations(app: str, root: Path | None = None) -> list[MigrationFile]:
    """The app's migration files in the order aerich applies them."""
    folder = (root or migrations_root()) / app
    files = [
        MigrationFile(path)
        for path in folder.glob("*.py")
        if "_" in path.stem and path.stem.split("_", 1)[0].isdigit()
    ]
    return sorted(files, key=lambda m: m.number)


def head_version(app: str, root: Path | None = None) -> str:
    """The newest migration's version of ``app`` ("" when there is none)."""
    migrations = list_migrations(app, root)
    return migrations[-1].version if migrations else ""


@cache
def models_state(path: Path) -> dict[str, Any]:
    """The models description aerich stores with a migration (its ``MODELS_STATE``)."""
    spec = importlib.util.spec_from_file_location(f"_guildhall_migration_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load migration {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    state: dict[str, Any] = decompress_dict(module.MODELS_STATE)
    return state
