"""Background duties (spare refill, retention sweep) run in one process at a time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
from tortoise import connections

from app.models.shared import Tenant
from app.tenancy.guild_data import retention as retention_module
from app.tenancy.guild_data.retention import retention_loop
from app.tenancy.naming import quote_any_schema
from app.tenancy.registry.duties import LOCK_CLASS, Duty, exclusive, run_exclusively
from app.tenancy.registry.runtime import Tenancy
from app.tenancy.schemas.spares import list_spares, refill_spares


@contextlib.asynccontextmanager
async def held_elsewhere(tenancy: Tenancy, duty: Duty) -> AsyncIterator[None]:
    """Another process (its own connection) is doing ``duty`` for the block."""
    other = await asyncpg.connect(tenancy.address.dsn)
    try:
        assert await other.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, duty)
        yield
    finally:
        await other.close()


async def drop_spares() -> None:
    """Remove every spare schema (other tests count on building their own)."""
    for name in await list_spares():
        await connections.get("shared").execute_script(
            f"DROP SCHEMA IF EXISTS {quote_any_schema(name)} CASCADE"
        )


async def test_a_duty_is_held_by_one_holder_at_a_time(tenancy: Tenancy) -> None:
    """While one holds the sweep, a second try gets False and does not wait; then True."""
    calls: list[str] = []

    async def work() -> str:
        calls.append("ran")
        return "done"

    async with exclusive(Duty.RETENTION_SWEEP) as first:
        assert first
        async with asyncio.timeout(2):  # a try-lock: never queues behind the holder
            assert await run_exclusively(Duty.RETENTION_SWEEP, work) is None
        async with exclusive(Duty.SPARE_REFILL) as other_duty:
            assert other_duty  # duties do not block each other
    assert calls == []
    assert await run_exclusively(Duty.RETENTION_SWEEP, work) == "done"
    assert calls == ["ran"]


async def test_retention_sweep_skips_while_another_process_sweeps(
    tenancy: Tenancy, provisioned, monkeypatch
) -> None:
    """The loop purges nothing while another process holds the sweep, then purges."""
    guild = await provisioned()
    await tenancy.mark_left(guild)
    # Left 40 years ago, swept at 39: no other guild of the run is that old.
    left_at = datetime.now(UTC) - timedelta(days=40 * 365)
    await Tenant.filter(guild_id=guild).update(left_at=left_at)

    rounds = 0
    three_rounds = asyncio.Event()

    async def counted(duty, work):
        nonlocal rounds
        rounds += 1
        if rounds == 3:
            three_rounds.set()
        return await run_exclusively(duty, work)

    monkeypatch.setattr(retention_module, "run_exclusively", counted)
    async with held_elsewhere(tenancy, Duty.RETENTION_SWEEP):
        loop = asyncio.create_task(
            retention_loop(39 * 365, every=timedelta(seconds=0.05), tenancy=tenancy)
        )
        try:
            # Three rounds tried the sweep, each skipped.
            await asyncio.wait_for(three_rounds.wait(), 20)
            assert await Tenant.filter(guild_id=guild).exists()
        except BaseException:
            loop.cancel()
            raise
    try:
        for _ in range(200):  # the next round (0.05 s) purges it; 10 s at most
            if not await Tenant.filter(guild_id=guild).exists():
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the sweep did not purge the guild once the lock was free")
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop


async def test_spare_refill_skips_while_another_process_refills(tenancy: Tenancy) -> None:
    """A refill builds nothing while another process refills (no waiting), then fills."""
    await drop_spares()
    try:
        async with held_elsewhere(tenancy, Duty.SPARE_REFILL):
            async with asyncio.timeout(5):  # a try-lock: never queues behind the holder
                skipped = await refill_spares(tenancy.tenant_ddl, 1, tenancy.role_tag)
            assert skipped.created == 0 and await list_spares() == {}
        filled = await refill_spares(tenancy.tenant_ddl, 1, tenancy.role_tag)
        assert filled.created == 1 and len(await list_spares()) == 1
    finally:
        await drop_spares()
