"""The Docker image's own settings survive a copied ``.env`` (``docker run --env-file .env``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[2]
CONTAINER_ONLY = {"DATA_DIR", "HEALTH_HOST"}


def test_env_example_leaves_the_container_only_settings_unset() -> None:
    """``.env.example`` mentions DATA_DIR and HEALTH_HOST only commented out."""
    values = dotenv_values(ROOT / ".env.example")
    assert "DISCORD_TOKEN" in values
    assert CONTAINER_ONLY.isdisjoint(values)
    text = (ROOT / ".env.example").read_text()
    assert all(f"# {name}=" in text for name in CONTAINER_ONLY)


def test_entrypoint_keeps_the_images_data_dir_and_health_host(tmp_path: Path) -> None:
    """Values from a copied .env are replaced by the image's, with one line saying so each."""
    # The entrypoint execs `guildhall`; this one reports the environment it was given.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    probe = bin_dir / "guildhall"
    probe.write_text('#!/bin/sh\necho "$DATA_DIR $HEALTH_HOST $*"\n')
    probe.chmod(0o755)
    env = dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        DATA_DIR=".data",
        HEALTH_HOST="127.0.0.1",
        GUILDHALL_CONTAINER_DATA_DIR="/data",
        GUILDHALL_CONTAINER_HEALTH_HOST="0.0.0.0",  # noqa: S104 - the container's own address
        GUILDHALL_MIGRATE_ON_START="0",
    )
    done = subprocess.run(  # noqa: S603 - our own script
        ["/bin/sh", str(ROOT / "scripts" / "docker-entrypoint.sh"), "doctor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.strip() == "/data 0.0.0.0 doctor"
    assert done.stderr.splitlines() == [
        "entrypoint: DATA_DIR=.data ignored in the container; using /data",
        "entrypoint: HEALTH_HOST=127.0.0.1 ignored in the container; using 0.0.0.0",
    ]
