"""Where the aerich migration files are and what they say (no database access here).

Every migration is applied by Guildhall's own runner (:mod:`app.tenancy.migrations.applier`), which
renders a file's SQL once and replays it into each schema. So a migration must be static SQL
in one transaction: ``upgrade(db)`` may not query ``db`` and ``RUN_IN_TRANSACTION = False`` is
refused (a schema would no longer migrate atomically).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from aerich.utils import decompress_dict

_PACKAGE_DIR = Path(__file__).resolve().parents[2]  # app/

#: ``<number>_<timestamp>_<name>.py`` as aerich writes it. The runner puts versions into SQL
#: literals, so anything else is refused rather than escaped.
VERSION_PATTERN = re.compile(r"^[0-9]{1,9}_[A-Za-z0-9_]{1,200}\.py$")


class MigrationFileError(ValueError):
    """A migration file Guildhall cannot apply safely; the message says which and why."""


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
    """The app's migration files in the order aerich applies them.

    Raises :class:`MigrationFileError` for a name the runner cannot record safely or for two
    files with the same number (aerich's order between them would be arbitrary).
    """
    folder = (root or migrations_root()) / app
    files = [
        MigrationFile(path)
        for path in folder.glob("*.py")
        if "_" in path.stem and path.stem.split("_", 1)[0].isdigit()
    ]
    files.sort(key=lambda m: (m.number, m.version))
    for previous, current in itertools.pairwise(files):
        if previous.number == current.number:
            raise MigrationFileError(
                f"two {app} migrations are numbered {current.number}: {previous.version} and "
                f"{current.version}; renumber or delete one"
            )
    for migration in files:
        if not VERSION_PATTERN.match(migration.version):
            raise MigrationFileError(
                f"migration file name {migration.version!r} is not <number>_<timestamp>_<name>.py "
                "with letters, digits and underscores only; rename it"
            )
    return files


def head_of(migrations: Sequence[MigrationFile]) -> str:
    """The newest version of ``migrations`` (in :func:`list_migrations` order; "" if none)."""
    return migrations[-1].version if migrations else ""


def head_version(app: str, root: Path | None = None) -> str:
    """The one head version: the newest migration's version of ``app`` ("" when none)."""
    return head_of(list_migrations(app, root))


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_guildhall_migration_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load migration {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def models_state(path: Path) -> dict[str, Any]:
    """The models description aerich stores with a migration (its ``MODELS_STATE``)."""
    state: dict[str, Any] = decompress_dict(_load(path).MODELS_STATE)
    return state


@cache
def models_state_json(path: Path) -> str:
    """:func:`models_state` as the JSON text of the ``aerich.content`` column."""
    return json.dumps(models_state(path))


class _NoDatabase:
    """Handed to ``upgrade(db)``: the SQL is rendered once for every schema, without a query."""

    def __init__(self, migration: MigrationFile) -> None:
        self._migration = migration

    def __getattr__(self, name: str) -> NoReturn:
        raise MigrationFileError(
            f"migration {self._migration.version} uses its db argument ({name}); Guildhall "
            "replays one SQL text into every schema, so upgrade() must return static SQL"
        )


_rendered: dict[Path, str] = {}


async def upgrade_sql(migration: MigrationFile) -> str:
    """The SQL ``upgrade()`` of a migration file returns (rendered once, then cached)."""
    if migration.path not in _rendered:
        module = _load(migration.path)
        if not getattr(module, "RUN_IN_TRANSACTION", True):
            raise MigrationFileError(
                f"migration {migration.version} sets RUN_IN_TRANSACTION = False; each schema "
                "migrates in one transaction, so split out what cannot run in one"
            )
        sql = await module.upgrade(_NoDatabase(migration))
        if not isinstance(sql, str):
            raise MigrationFileError(f"upgrade() of {migration.version} did not return SQL text")
        _rendered[migration.path] = sql
    return _rendered[migration.path]
