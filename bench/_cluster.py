"""A running Citus cluster taken from the environment, and test databases on it.

``CITUS_COORDINATOR_URL`` (the coordinator, e.g. ``postgresql://postgres@127.0.0.1:9700/postgres``)
and ``CITUS_WORKER_URLS`` (the workers, comma-separated) name a cluster someone started; the
tests and benchmarks never build or start one. When they are set, the test run's database (and
a benchmark's scratch database) is created on every node, ``CREATE EXTENSION citus`` runs in
each, the workers are added to the coordinator and schema-based sharding is switched on for the
database, so every guild schema made there is a distributed schema on some worker. Without
them, nothing here is used.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from app.tenancy.connections.config import ServerAddress
from app.tenancy.schemas.roles import drop_database_roles

COORDINATOR_ENV = "CITUS_COORDINATOR_URL"
WORKERS_ENV = "CITUS_WORKER_URLS"


@dataclass(frozen=True)
class Cluster:
    """A coordinator and its workers (the ``postgres`` database of each, as given)."""

    coordinator: ServerAddress
    workers: tuple[ServerAddress, ...]

    @property
    def nodes(self) -> tuple[ServerAddress, ...]:
        """The coordinator first, then the workers."""
        return (self.coordinator, *self.workers)


def cluster_from_env() -> Cluster | None:
    """The cluster the environment names, or None (plain PostgreSQL)."""
    coordinator = os.environ.get(COORDINATOR_ENV, "").strip()
    if not coordinator:
        return None
    workers = [url.strip() for url in os.environ.get(WORKERS_ENV, "").split(",") if url.strip()]
    return Cluster(
        ServerAddress.from_dsn(coordinator),
        tuple(ServerAddress.from_dsn(url) for url in workers),
    )


async def _on(node: ServerAddress, *statements: str) -> None:
    conn = await asyncpg.connect(node.dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _make_citus_database(cluster: Cluster, name: str) -> None:
    """The extension on every node, the workers added, schema-based sharding on."""
    for node in cluster.nodes:
        await _on(node.with_database(name), "CREATE EXTENSION citus")
    coordinator = cluster.coordinator
    adds = [
        f"SELECT citus_add_node('{worker.host}', {int(worker.port)})" for worker in cluster.workers
    ]
    await _on(
        coordinator.with_database(name),
        f"SELECT citus_set_coordinator_host('{coordinator.host}', {int(coordinator.port)})",
        *adds,
        f'ALTER DATABASE "{name}" SET citus.enable_schema_based_sharding = on',
    )


@contextlib.asynccontextmanager
async def citus_database(cluster: Cluster, prefix: str) -> AsyncIterator[ServerAddress]:
    """A new database ``<prefix>_<random>`` on every node of ``cluster``, set up for Citus;
    dropped on every node (with the guild roles it made) on exit."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        for node in cluster.nodes:
            await _on(node, f'CREATE DATABASE "{name}"')
        await _make_citus_database(cluster, name)
        yield cluster.coordinator.with_database(name)
    finally:
        for node in cluster.nodes:
            conn = await asyncpg.connect(node.dsn)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await drop_database_roles(conn, name)
            finally:
                await conn.close()
