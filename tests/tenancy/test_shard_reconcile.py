"""Per-shard reconcile: absent guilds of the reconciled shards are marked left, nothing else."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from tortoise import connections

from app.models.shared import Tenant, TenantStatus
from app.sharding import ShardScope, shard_of
from app.tenancy import SHARED_ALIAS
from app.tenancy.naming import schema_for
from app.tenancy.registry.listener import CHANNEL
from app.tenancy.registry.runtime import Tenancy
from app.tenancy.registry.shard_reconcile import mark_absent_left

#: Many shards, so other tests' guilds (consecutive ids, one shard) stay out of the way.
COUNT = 1024


def on_shard(ids: itertools.count[int], offset: int) -> tuple[int, int]:
    """A fresh guild id moved ``offset`` shards away from the test ids' shard, and its shard."""
    guild_id = next(ids) + (offset << 22)
    return guild_id, shard_of(guild_id, COUNT)


@pytest.fixture(autouse=True)
async def no_rows_without_schema_left_behind(tenancy: Tenancy) -> AsyncIterator[None]:
    """Rows made here have no schema: remove them so later tests (and doctor) never see them."""
    before = set(await Tenant.all().values_list("guild_id", flat=True))
    yield
    made = set(await Tenant.all().values_list("guild_id", flat=True)) - before
    await connections.get(SHARED_ALIAS).execute_query(
        'DELETE FROM "shared"."tenant" '
        "WHERE guild_id = ANY($1::bigint[]) AND to_regnamespace(schema_name) IS NULL",
        [sorted(made)],
    )


async def registered(guild_id: int, status: TenantStatus = TenantStatus.ACTIVE) -> None:
    """A registry row only (this logic never looks at the schema)."""
    await Tenant.create(guild_id=guild_id, schema_name=schema_for(guild_id), status=status)


async def state(guild_id: int) -> tuple[str, bool]:
    """The guild's status and whether it has a left_at."""
    tenant = await Tenant.get(guild_id=guild_id)
    return str(tenant.status), tenant.left_at is not None


async def test_absent_guilds_of_the_shards_are_marked_left_others_untouched(
    tenancy: Tenancy, new_guild_id: itertools.count[int]
) -> None:
    """Shards 1 and 2 reconciled: their absent guilds leave; present and shard-3 ones stay."""
    present, shard_a = on_shard(new_guild_id, 1)
    absent, _ = on_shard(new_guild_id, 1)
    absent_b, shard_b = on_shard(new_guild_id, 2)
    other_shard, _ = on_shard(new_guild_id, 3)
    for guild_id in (present, absent, absent_b, other_shard):
        await registered(guild_id)

    marked = await mark_absent_left(ShardScope((shard_a, shard_b), COUNT), [present])

    assert marked == sorted([absent, absent_b])
    assert await state(absent) == ("left", True)
    assert await state(absent_b) == ("left", True)
    assert await state(present) == ("active", False)
    assert await state(other_shard) == ("active", False)


async def test_absent_disabled_guild_keeps_disabled_and_left_guild_keeps_its_date(
    tenancy: Tenancy, new_guild_id: itertools.count[int]
) -> None:
    """Like on_guild_remove: disabled stays disabled with a left_at; an earlier left_at stays."""
    disabled, shard = on_shard(new_guild_id, 4)
    already_left, _ = on_shard(new_guild_id, 4)
    await registered(disabled, TenantStatus.DISABLED)
    await registered(already_left, TenantStatus.LEFT)
    earlier = datetime(2026, 1, 2, tzinfo=UTC)
    await Tenant.filter(guild_id=already_left).update(left_at=earlier)

    marked = await mark_absent_left(ShardScope((shard,), COUNT), [])

    assert marked == [disabled]
    assert await state(disabled) == ("disabled", True)
    assert (await Tenant.get(guild_id=already_left)).left_at == earlier


async def test_many_absent_guilds_are_marked_in_one_batch_and_each_is_announced(
    tenancy: Tenancy, new_guild_id: itertools.count[int]
) -> None:
    """300 absent guilds of one shard: one call marks them all; every process hears each."""
    ids = [next(new_guild_id) + (5 << 22) for _ in range(300)]
    shard = shard_of(ids[0], COUNT)
    assert {shard_of(g, COUNT) for g in ids} == {shard}
    await Tenant.bulk_create(
        [Tenant(guild_id=g, schema_name=schema_for(g), status=TenantStatus.ACTIVE) for g in ids]
    )
    heard: list[int] = []
    all_heard = asyncio.Event()

    def hear(*args: object) -> None:
        heard.append(int(str(args[-1])))
        if len(heard) == 200:
            all_heard.set()

    other_process = await asyncpg.connect(tenancy.address.dsn)
    try:
        await other_process.add_listener(CHANNEL, hear)
        marked = await mark_absent_left(ShardScope((shard,), COUNT), ids[:100])
        await asyncio.wait_for(all_heard.wait(), 5)
    finally:
        await other_process.close()
    assert marked == sorted(ids[100:])
    assert sorted(heard) == sorted(ids[100:])
    statuses = await Tenant.filter(guild_id__in=ids).values_list("status", flat=True)
    assert sorted(statuses) == ["active"] * 100 + ["left"] * 200


async def test_reconcile_with_shards_marks_left_and_drops_cached_state(
    tenancy: Tenancy, new_guild_id: itertools.count[int]
) -> None:
    """Tenancy.reconcile(present, shards) reports the guilds it marked and forgets them."""
    gone, shard = on_shard(new_guild_id, 6)
    here, _ = on_shard(new_guild_id, 6)
    await tenancy.provision(gone, "gone")
    assert (await tenancy.statuses.get(gone)).status is TenantStatus.ACTIVE  # now cached

    report = await tenancy.reconcile({here: "here"}, ShardScope((shard,), COUNT))

    assert report.left == [gone] and report.provisioned == [here]
    assert (await tenancy.statuses.get(gone)).status is TenantStatus.LEFT
