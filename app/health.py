"""``GET /healthz``: is this process serving? A small aiohttp server beside the bot, which
also answers ``GET /metrics`` (:mod:`app.metrics`) when given the bot's metrics.

It imports nothing from disnake: the bot passes a callable describing its gateway connection,
so the CLI, tests and other front-ends can run it too. The answer::

    {"status": "ok" | "degraded",
     "gateway": {"ok": true, ...whatever the callable adds},
     "database": {"ok": true, "latency_ms": 0.4},
     "cache": {"hits": ..., "misses": ..., "evictions": ..., "open_connections": ..., ...}}

200 when the gateway and the database are both ok, 503 otherwise.

Ports: ``HEALTH_PORT=0`` turns the server off (:func:`health_server_from_settings` returns
None); a :class:`HealthServer` built with ``port=0`` binds a free port chosen by the OS and
reports it in :attr:`HealthServer.port` (tests).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from tortoise import connections

from app.metrics import BotMetrics
from app.settings import Settings
from app.tenancy import SHARED_ALIAS, Tenancy

log = logging.getLogger(__name__)

#: Returns at least ``{"ok": bool}``; anything else it adds is shown as is.
GatewayStatus = Callable[[], Mapping[str, Any]]

#: A database slower than this to answer ``SELECT 1`` counts as down.
DATABASE_TIMEOUT = 2.0


class HealthServer:
    """Serves ``GET /healthz`` on ``host:port`` between :meth:`start` and :meth:`stop`."""

    def __init__(
        self,
        host: str,
        port: int,
        gateway_status: GatewayStatus,
        tenancy: Tenancy,
        *,
        database_timeout: float = DATABASE_TIMEOUT,
        metrics: BotMetrics | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self._gateway_status = gateway_status
        self._tenancy = tenancy
        self._database_timeout = database_timeout
        self._runner: web.AppRunner | None = None
        self._metrics = metrics

    @property
    def port(self) -> int:
        """The port listened on (the OS's choice when built with port 0 and started)."""
        if self._runner is not None:
            for address in self._runner.addresses:
                if isinstance(address, tuple):
                    return int(address[1])
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port/healthz``."""
        return f"http://{self.host}:{self.port}/healthz"

    async def start(self) -> None:
        """Start listening (idempotent)."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_get("/healthz", self._handle)
        if self._metrics is not None:
            app.router.add_get("/metrics", self._handle_metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("health endpoint on %s", self.url)

    async def stop(self) -> None:
        """Stop listening (idempotent)."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def check(self) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body ``/healthz`` answers with right now."""
        gateway = self._gateway()
        database = await self._database()
        ok = bool(gateway.get("ok")) and bool(database["ok"])
        body = {
            "status": "ok" if ok else "degraded",
            "gateway": gateway,
            "database": database,
            "cache": self._tenancy.connections.stats().as_dict(),
        }
        return (200 if ok else 503), body

    async def _handle(self, _request: web.Request) -> web.Response:
        status, body = await self.check()
        return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})

    async def _handle_metrics(self, _request: web.Request) -> web.Response:
        assert self._metrics is not None
        body = await self._metrics.render(self._tenancy)
        # The text format, version 0.0.4: what prometheus_client's own exposition sends.
        return web.Response(
            body=body,
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )

    def _gateway(self) -> dict[str, Any]:
        try:
            state = dict(self._gateway_status())
        except Exception as exc:  # a broken callable is an unhealthy gateway, not a 500
            log.exception("the gateway status callable failed")
            return {"ok": False, "error": str(exc) or type(exc).__name__}
        state["ok"] = bool(state.get("ok"))
        return state

    async def _database(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(
                connections.get(SHARED_ALIAS).execute_query("SELECT 1"), self._database_timeout
            )
        except Exception as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else str(exc)
            return {"ok": False, "latency_ms": None, "error": reason or type(exc).__name__}
        return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def health_server_from_settings(
    settings: Settings,
    gateway_status: GatewayStatus,
    tenancy: Tenancy,
    metrics: BotMetrics | None = None,
) -> HealthServer | None:
    """The server ``HEALTH_HOST``/``HEALTH_PORT`` ask for; None when ``HEALTH_PORT`` is 0."""
    if settings.health_port == 0:
        return None
    return HealthServer(
        settings.health_host, settings.health_port, gateway_status, tenancy, metrics=metrics
    )
