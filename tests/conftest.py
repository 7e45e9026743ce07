"""Shared fixtures: a real PostgreSQL database of this run's own, and a started tenancy core.

``DATABASE_URL`` names the server when set; otherwise the embedded server starts under a
temporary data directory. Each run creates ``guildhall_test_<random>`` and drops it at the end.
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

#: Test-only tenant models (relations, M2M) so isolation covers every ORM path.
TEST_TENANT_MODELS = [*TENANT_MODELS, "tests.tenancy.relation_models"]


@pytest.fixture(scope="session")
def server_address() -> Iterator[ServerAddress]:
    """The PostgreSQL server the tests use: ``DATABASE_URL``, else an embedded one."""
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
    """A database of this test run's own, dropped afterwards."""
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
