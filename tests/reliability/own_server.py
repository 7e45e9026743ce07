"""A PostgreSQL server of the test's own (initdb + pg_ctl in a temporary directory), which the
test may stop and start at will: restarting the shared test server would hurt every other test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import reserved_port

#: Every pg_ctl call is bounded: a server that neither starts nor stops fails the test.
PG_CTL_TIMEOUT_S = 30


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return candidates[0].parent if candidates else None


@dataclass
class OwnServer:
    """A running server on 127.0.0.1:``port``, stoppable and restartable."""

    bin_dir: Path
    data_dir: Path
    port: int
    as_user: list[str]

    @property
    def dsn(self) -> str:
        """Superuser DSN (trust authentication on loopback)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        command = [*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=PG_CTL_TIMEOUT_S)  # noqa: S603

    def start(self) -> None:
        """Start (waits until it accepts connections)."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir}"
        self._pg_ctl("start", "-w", "-o", options, "-l", str(self.data_dir / "log"))

    def stop(self, mode: str = "fast") -> None:
        """Stop (``fast``: disconnect every client, as a restart for maintenance does)."""
        self._pg_ctl("stop", "-w", "-m", mode)


@contextmanager
def own_server() -> Iterator[OwnServer]:
    """initdb a throw-away cluster, start it, stop and delete it afterwards."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (pg_ctl) on this machine")
    root = Path(tempfile.mkdtemp(prefix="guildhall-own-pg-"))
    data_dir = root / "data"
    # pg_ctl refuses to run as root: run it as the postgres user then.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres")
    subprocess.run(  # noqa: S603 (our own binaries and paths)
        [*as_user, str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres",
         "-A", "trust", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    server = OwnServer(bin_dir, data_dir, reserved_port(), as_user)
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop("immediate")
        finally:
            shutil.rmtree(root, ignore_errors=True)
