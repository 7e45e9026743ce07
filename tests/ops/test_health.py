"""``GET /healthz`` on a real Tenancy: 200 when gateway and database are ok, 503 otherwise."""

from __future__ import annotations

import subprocess
import sys

import aiohttp

from app.health import HealthServer, health_server_from_settings
from app.settings import load_settings


async def _get(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def test_healthz_is_ok_with_database_latency_and_cache_stats(health) -> None:
    """Gateway up, database up: 200 with latency and the client cache's counters."""
    server, _ = health
    assert server.port != 0
    status, body = await _get(server.url)
    assert status == 200 and body["status"] == "ok"
    assert body["gateway"] == {"ok": True, "latency_ms": 41.5, "shards": [0]}
    assert body["database"]["ok"] is True and body["database"]["latency_ms"] >= 0
    assert {"hits", "misses", "evictions", "open_connections", "capacity"} <= set(body["cache"])


async def test_healthz_is_degraded_when_the_gateway_is_down(health) -> None:
    """Gateway disconnected: 503 and status degraded."""
    server, gateway = health
    gateway["ok"] = False
    status, body = await _get(server.url)
    assert status == 503 and body["status"] == "degraded"
    assert body["database"]["ok"] is True


async def test_healthz_survives_a_broken_gateway_callable(tenancy) -> None:
    """A callable that raises counts as a gateway that is down, not as a server error."""

    def broken() -> dict:
        raise RuntimeError("no shard")

    server = HealthServer("127.0.0.1", 0, broken, tenancy)
    await server.start()
    try:
        status, body = await _get(server.url)
    finally:
        await server.stop()
    assert status == 503 and body["gateway"] == {"ok": False, "error": "no shard"}


async def test_healthz_is_degraded_when_the_database_does_not_answer(tenancy) -> None:
    """A database slower than the timeout counts as down (503) with the reason."""
    server = HealthServer("127.0.0.1", 0, lambda: {"ok": True}, tenancy, database_timeout=0)
    status, body = await server.check()
    assert status == 503 and body["database"] == {
        "ok": False,
        "latency_ms": None,
        "error": "timed out",
    }


def test_health_port_zero_disables_the_server(tenancy) -> None:
    """HEALTH_PORT=0: no server; otherwise host and port come from the settings."""
    assert health_server_from_settings(load_settings(health_port=0), dict, tenancy) is None
    server = health_server_from_settings(
        load_settings(health_port=9123, health_host="192.0.2.1"), dict, tenancy
    )
    assert server is not None and (server.host, server.port) == ("192.0.2.1", 9123)


def test_health_module_does_not_import_disnake() -> None:
    """app.health stays usable without the bot (it takes a gateway callable instead)."""
    code = "import sys, app.health; sys.exit('disnake' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # noqa: S603
