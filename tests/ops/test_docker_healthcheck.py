"""The image's HEALTHCHECK (scripts/docker-healthcheck.py) against a real ``/healthz``: exit
0 or 1 with one line saying why, which ``docker inspect`` shows (no traceback)."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "docker-healthcheck.py"


async def healthcheck(port: int | str) -> tuple[int, str]:
    """Run the script as Docker does (its own interpreter), with HEALTH_PORT set."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        env={"HEALTH_PORT": str(port)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_healthy_is_exit_0_with_one_line(health) -> None:
    """200: exit 0, one line naming the URL."""
    server, _ = health
    code, out = await healthcheck(server.port)
    assert (code, out) == (0, f"http://127.0.0.1:{server.port}/healthz: 200 ok\n")


async def test_degraded_names_the_disconnected_shard(health) -> None:
    """503: exit 1, one line saying which part is down (a shard of the gateway)."""
    server, gateway = health
    gateway.update(ok=False, shards={"0": {"state": "connected"}, "1": {"state": "disconnected"}})
    code, out = await healthcheck(server.port)
    assert code == 1
    assert out == (
        f"http://127.0.0.1:{server.port}/healthz: 503 degraded: gateway (shard 1 disconnected)\n"
    )


async def test_nothing_listening_is_one_line() -> None:
    """A refused connection (the bot not up yet, or crashed): exit 1, one line."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free once closed: nobody listens there
    code, out = await healthcheck(port)
    assert code == 1
    assert out.startswith(f"http://127.0.0.1:{port}/healthz: no answer (")
    assert out.count("\n") == 1 and "Traceback" not in out


async def test_health_port_0_has_nothing_to_check() -> None:
    """HEALTH_PORT=0 turns the endpoint off: the check passes and says so."""
    code, out = await healthcheck(0)
    assert (code, out) == (0, "HEALTH_PORT=0: the health endpoint is off; nothing to check\n")


def test_the_image_runs_this_script() -> None:
    """The Dockerfile's HEALTHCHECK is this script, and the build context includes it."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY scripts/docker-healthcheck.py /usr/local/bin/guildhall-healthcheck" in dockerfile
    healthcheck_lines = [line for line in dockerfile.splitlines() if "CMD [" in line]
    assert any("/usr/local/bin/guildhall-healthcheck" in line for line in healthcheck_lines)
    assert "!scripts/docker-healthcheck.py" in (ROOT / ".dockerignore").read_text().splitlines()
