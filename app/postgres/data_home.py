"""Where the embedded server keeps its data: one fixed per-user directory by default.

A default relative to the current directory made ``guildhall tenants list`` run from another
directory start a new, empty cluster and report "0 tenants". The platform's per-user data
directory (``platformdirs``) is the same wherever the command runs:
``~/.local/share/guildhall`` on Linux, ``~/Library/Application Support/guildhall`` on macOS,
``%LOCALAPPDATA%\\guildhall`` on Windows. ``DATA_DIR`` overrides it (the image uses ``/data``).
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path

from app.postgres.embedded.lifecycle import PGDATA_SUBDIR


def default_data_dir() -> Path:
    """The per-user data directory used when ``DATA_DIR`` is not set."""
    return user_data_path("guildhall", appauthor=False)


def has_cluster(data_dir: Path) -> bool:
    """True when ``data_dir`` already holds an embedded cluster (``initdb`` has run there)."""
    return (Path(data_dir).expanduser() / PGDATA_SUBDIR / "PG_VERSION").is_file()
