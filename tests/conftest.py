"""Shared fixtures: a real PostgreSQL database of this run's own, and a started tenancy core.

``DATABASE_URL`` names the server when set; otherwise the embedded server starts under a
temporary data directory. Each run creates ``guildhall_test_<random>`` and drops it at the end.
With ``CITUS_COORDINATOR_URL`` and ``CITUS_WORKER_URLS`` set, the server is that cluster's
coordinator and the run's database is a Citus database with schema-based sharding on
(:mod:`bench._cluster`); other scratch databases stay plain PostgreSQL on the coordinator.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.tenancy.connections.budget import ConnectionBudget
from app.tenancy.connections.config import SHARED_ALIAS, TENANT_MODELS, ServerAddress
from app.tenancy.errors import TenantNotFound
from app.tenancy.guild_data.retention import purge_tenant
from app.tenancy.migrations.applier import migrate_shared
from app.tenancy.registry.runtime import Tenancy
from app.tenancy.scratch import scratch_database
from bench._cluster import citus_database, cluster_from_env

#: The modules the ``citus`` marker covers: what must hold on a Citus cluster too (run them
#: there with ``CITUS_COORDINATOR_URL``/``CITUS_WORKER_URLS`` set and ``-m citus``).
CITUS_MODULES = frozenset(
    {
        "tests/tenancy/test_citus.py",
        "tests/tenancy/test_single_statements.py",
        "tests/tenancy/test_provisioning.py",
        "tests/tenancy/test_spares.py",
        "tests/tenancy/test_roles.py",
        "tests/tenancy/test_isolation.py",
        "tests/tenancy/test_migrate_all.py",
        "tests/tenancy/test_migrations_match.py",
        "tests/tenancy/test_privacy.py",
        "tests/cli/test_db.py",
        "tests/cli/test_db_verify.py",
        "tests/ops/test_transfer.py",
        "tests/ops/test_retention.py",
        "tests/ops/test_forget.py",
        "tests/ops/test_doctor.py",
        "tests/e2e/test_lifecycle_stories.py",
        "tests/e2e/test_tag_stories.py",
        "tests/e2e/test_tenant_stories.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`CITUS_MODULES` ``citus``."""
    root = Path(str(config.rootpath))
    for item in items:
        if Path(str(item.path)).relative_to(root).as_posix() in CITUS_MODULES:
            item.add_marker(pytest.mark.citus)


#: Test-only tenant models (relations, M2M) so isolation covers every ORM path.
TEST_TENANT_MODELS = [*TENANT_MODELS, "tests.tenancy.relation_models"]


@pytest.fixture(scope="session")
def server_address() -> Iterator[ServerAddress]:
    """The PostgreSQL server the tests use: a Citus coordinator, ``DATABASE_URL``, else an
    embedded one."""
    cluster = cluster_from_env()
    if cluster is not None:
        yield cluster.coordinator
        return
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        yield ServerAddress.from_dsn(url)
        return
    from app.postgres.embedded import start_embedded

    # Not pytest's tmp_path: concurrent pytest runs rotate those directories away, and this
    # one holds a running server's data for the whole session.
    data_dir = Path(tempfile.mkdtemp(prefix="guildhall-test-pg-"))
    server = start_embedded(data_dir)
    try:
        yield ServerAddress.from_dsn(server.dsn)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def database(server_address: ServerAddress) -> AsyncIterator[ServerAddress]:
    """A database of this test run's own, dropped afterwards (on every node of a cluster)."""
    cluster = cluster_from_env()
    if cluster is not None:
        async with citus_database(cluster, "guildhall_test") as address:
            yield address
        return
    async with scratch_database(server_address, "guildhall_test") as address:
        yield address


@pytest.fixture(scope="session")
async def tenancy(database: ServerAddress) -> AsyncIterator[Tenancy]:
    """The tenancy core, started on the test database with the shared schema migrated."""
    # Small on purpose: 4 pinned guilds of 2 connections, the rest on the shared tier.
    budget = ConnectionBudget.split(24, pinned_pool_max=2, pinned_slots=4)
    core = Tenancy(database, budget=budget, idle_seconds=60, tenant_models=TEST_TENANT_MODELS)
    await core.start()
    await migrate_shared(SHARED_ALIAS)
    try:
        yield core
    finally:
        await core.close()


_ids = itertools.count(secrets.randbelow(10**6) * 10**6 + 10**17)


@pytest.fixture
def new_guild_id() -> itertools.count[int]:
    """A source of guild ids no other test uses: ``next(new_guild_id)``."""
    return _ids


@pytest.fixture
async def provisioned(tenancy: Tenancy, new_guild_id: itertools.count[int]):
    """A factory provisioning fresh guilds: ``guild_id = await provisioned()``.

    The guilds are purged after the test: the database is shared by the whole run, and a guild
    a test left disabled, broken or at a test-only migration must not change what the next
    test sees (a start-up report, a doctor run, a count).
    """
    made: list[int] = []

    async def make(name: str = "test guild") -> int:
        guild_id = next(new_guild_id)
        made.append(guild_id)
        await tenancy.provision(guild_id, name)
        return guild_id

    yield make
    for guild_id in made:
        with contextlib.suppress(TenantNotFound):  # the test purged it itself
            await purge_tenant(guild_id, force=True, tenancy=tenancy)
