"""What the benchmarks share: a scratch database, a started tenancy, percentiles."""

from __future__ import annotations

import os
import statistics
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psutil

from app.tenancy.connections.config import SHARED_ALIAS, ServerAddress
from app.tenancy.migrations.applier import migrate_shared
from app.tenancy.registry.runtime import Tenancy
from app.tenancy.scratch import scratch_database as database_on
from bench._cluster import citus_database, cluster_from_env

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def server() -> ServerAddress:
    """The server to benchmark on: a Citus coordinator (:mod:`bench._cluster`),
    ``DATABASE_URL`` or the local PostgreSQL."""
    cluster = cluster_from_env()
    if cluster is not None:
        return cluster.coordinator
    return ServerAddress.from_dsn(os.environ.get("DATABASE_URL") or DEFAULT_URL)


@asynccontextmanager
async def scratch_database(prefix: str = "guildhall_bench") -> AsyncIterator[ServerAddress]:
    """A database of the benchmark's own (a Citus one on a cluster), dropped at the end."""
    cluster = cluster_from_env()
    if cluster is not None:
        async with citus_database(cluster, prefix) as address:
            yield address
        return
    async with database_on(server(), prefix) as address:
        yield address


@asynccontextmanager
async def scratch_tenancy(**options: object) -> AsyncIterator[Tenancy]:
    """A started tenancy core on a scratch database with the shared schema in place."""
    async with scratch_database() as address:
        tenancy = Tenancy(address, listen=False, **options)  # type: ignore[arg-type]
        await tenancy.start()
        try:
            await migrate_shared(SHARED_ALIAS)
            yield tenancy
        finally:
            await tenancy.close()


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


class MachineCpu:
    """CPU seconds the whole machine spent (user + system, every process: the database
    server's backends included) since it was made, read by :meth:`per`.

    On a shared or virtual machine wall time swings with I/O waits and other tenants; CPU
    spent per unit of work does not, so before/after comparisons read this too.
    """

    def __init__(self) -> None:
        self._start = self._now()

    @staticmethod
    def _now() -> float:
        times = psutil.cpu_times()
        return float(times.user + times.system + getattr(times, "nice", 0.0))

    def per(self, units: int) -> str:
        """Milliseconds of machine CPU per unit since creation, e.g. ``"31.2 ms CPU each"``."""
        return f"{(self._now() - self._start) * 1000 / max(units, 1):.1f} ms CPU each"


def describe_ms(samples: list[float]) -> str:
    """p50 / p95 / mean of durations given in seconds, in milliseconds."""
    return (
        f"p50 {percentile(samples, 50) * 1000:.2f} ms, p95 {percentile(samples, 95) * 1000:.2f} ms,"
        f" mean {statistics.fmean(samples) * 1000:.2f} ms (n={len(samples)})"
    )
