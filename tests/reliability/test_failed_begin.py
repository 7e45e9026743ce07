"""A connection that dies as BEGIN is sent (a database outage) must not leave the task bound to
a dead transaction: every later transaction of that task would fail with "connection has been
released back to the pool" (issue 13: seen once in the e2e outage story, during provisioning).
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from tortoise import connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.transactions import in_transaction

from app.tenancy import guild_db
from app.tenancy.connections.config import SHARED_ALIAS, TENANT_ALIAS


@pytest.fixture
def begin_dies_once(monkeypatch):
    """The next BEGIN of a Tortoise asyncpg transaction finds its connection terminated."""
    original = TransactionWrapper.begin
    armed = [True]

    async def begin(self: TransactionWrapper) -> None:
        if armed and armed.pop():
            self._connection.terminate()
        await original(self)

    monkeypatch.setattr(TransactionWrapper, "begin", begin)


async def test_tortoise_leaves_the_task_bound_to_a_transaction_whose_begin_failed(
    tenancy, begin_dies_once
) -> None:
    """Pin (docs/library-behaviour.md, "Tortoise: a failed BEGIN"): Tortoise's own client."""
    plain = AsyncpgDBClient(connection_name="lib_begin", **tenancy.address.credentials("public"))

    async def in_one_task() -> object:
        with pytest.raises(asyncpg.InterfaceError):
            async with plain._in_transaction():
                pass
        return connections.get("lib_begin")

    try:
        bound = await asyncio.create_task(in_one_task())
    finally:
        await plain.close()
    assert isinstance(bound, TransactionWrapper)  # still bound after the failure


async def test_a_failed_begin_on_the_registry_leaves_the_next_transaction_working(
    tenancy, begin_dies_once
) -> None:
    """The registry's client undoes the binding: the same task's next transaction works."""

    async def in_one_task() -> int:
        with pytest.raises(asyncpg.InterfaceError):
            async with in_transaction(SHARED_ALIAS):
                pass
        async with in_transaction(SHARED_ALIAS) as conn:
            rows = await conn.execute_query_dict("SELECT 1 AS one")
        return int(rows[0]["one"])

    assert await asyncio.wait_for(asyncio.create_task(in_one_task()), 30) == 1


async def test_a_failed_begin_in_a_lease_leaves_the_lease_bound(
    tenancy, provisioned, monkeypatch
) -> None:
    """Inside guild_db, a transaction whose BEGIN fails leaves the lease's client bound."""
    guild_id = await provisioned()

    async def failing_begin(self: TransactionWrapper) -> None:
        raise asyncpg.ConnectionDoesNotExistError("connection was closed")

    async with guild_db(guild_id) as client:
        monkeypatch.setattr(TransactionWrapper, "begin", failing_begin)
        with pytest.raises(asyncpg.ConnectionDoesNotExistError):
            async with in_transaction(TENANT_ALIAS):
                pass
        monkeypatch.undo()
        assert connections.get(TENANT_ALIAS) is client
        async with in_transaction(TENANT_ALIAS) as conn:
            assert await conn.execute_query_dict("SELECT 1 AS one") == [{"one": 1}]


async def test_a_transaction_cancelled_in_its_begin_leaves_no_connection_behind(
    tenancy, monkeypatch
) -> None:
    """Cancelled once BEGIN ran (a shutdown cancelling the spare refill): the connection is
    neither kept out of the pool nor reset in its transaction (asyncpg's "Resetting
    connection with an active transaction" ERROR line)."""
    original = TransactionWrapper.begin
    began = asyncio.Event()

    async def begin_then_hang(self: TransactionWrapper) -> None:
        await original(self)
        began.set()
        await asyncio.Event().wait()  # until cancelled

    loop = asyncio.get_running_loop()
    reported: list[dict] = []
    monkeypatch.setattr(loop, "call_exception_handler", reported.append)
    pool = connections.get(SHARED_ALIAS)._pool
    monkeypatch.setattr(TransactionWrapper, "begin", begin_then_hang)

    async def transaction() -> None:
        async with in_transaction(SHARED_ALIAS):
            pass

    task = asyncio.create_task(transaction())
    await asyncio.wait_for(began.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    monkeypatch.setattr(TransactionWrapper, "begin", original)
    assert pool.get_size() == pool.get_idle_size()  # nothing left checked out
    assert [r["message"] for r in reported] == []
