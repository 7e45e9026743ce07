"""kill -9 of `guildhall db migrate` at random points (issue 13, fault tests): every guild schema
is wholly at the new version (column, aerich row, registry version) or wholly at the old one,
and a rerun migrates exactly the ones still behind."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys

import asyncpg
import pytest

from app.tenancy.migrations.fleet import APPLICATION_NAME, MigrateOptions, migrate_all
from tests.tenancy.test_migrate_all import add_migration, migrations_copy

GUILDS = 30
#: Each schema's migration sleeps this long, so a run lasts long enough to be cut anywhere.
SLEEP_S = 0.02


async def _states(admin: asyncpg.Connection, guilds: list[int], version: str) -> dict[int, tuple]:
    """Per guild: (registry at ``version``, aerich row for it, column added), one snapshot."""
    rows = await admin.fetch(
        "SELECT t.guild_id, t.schema_version = $2 AS registry,"
        " EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass("
        "   format('%I.member', t.schema_name)) AND attname = 'killed' AND NOT attisdropped)"
        "   AS column_added"
        " FROM shared.tenant t WHERE t.guild_id = ANY($1::bigint[])",
        guilds,
        version,
    )
    states = {}
    for row in rows:
        schema = f"guild_{row['guild_id']}"
        aerich = await admin.fetchval(
            f'SELECT count(*) > 0 FROM "{schema}".aerich WHERE version = $1', version
        )
        states[row["guild_id"]] = (row["registry"], aerich, row["column_added"])
    return states


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_migrate_killed_at_a_random_point_leaves_no_half_migrated_schema(
    tenancy, provisioned, database, tmp_path, seed: int
) -> None:
    """kill -9 once a random number of schemas are done (plus a random moment): each schema is
    whole at one version; the rerun touches exactly those behind; all end at the new one."""
    rng = random.Random(seed)
    guilds = sorted([await provisioned() for _ in range(GUILDS)])
    root = migrations_copy(tmp_path)
    sql = f'ALTER TABLE "member" ADD "killed" INT; SELECT pg_sleep({SLEEP_S})'
    version = add_migration(root, "tenant", "add_killed", sql)
    after, jitter = rng.randrange(0, GUILDS // 2), rng.uniform(0, 0.05)
    batch, jobs = rng.choice([1, 3]), rng.choice([1, 2])
    env = dict(os.environ, DATABASE_URL=database.dsn)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "db", "migrate", "--tenants-only", f"--jobs={jobs}",
        f"--batch={batch}", f"--migrations={root}", *[f"--guild={g}" for g in guilds],
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    admin = await asyncpg.connect(database.dsn)
    try:

        async def enough_done() -> bool:
            done = await admin.fetchval(
                "SELECT count(*) FROM shared.tenant WHERE guild_id = ANY($1::bigint[])"
                " AND schema_version = $2",
                guilds,
                version,
            )
            return done >= after or process.returncode is not None

        async def runner_gone() -> bool:  # the server has ended the killed one's transaction
            return not await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
                " AND datname = current_database()",
                APPLICATION_NAME,
            )

        await _until(enough_done, 120)
        await asyncio.sleep(jitter)  # the random moment within the next schemas
        assert process.returncode is None, "migrate ended before it was killed"
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await _until(runner_gone, 30)
        states = await _states(admin, guilds, version)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await admin.close()

    assert set(states) == set(guilds)
    half = {g: s for g, s in states.items() if s not in ((True, True, True), (False, False, False))}
    assert half == {}, f"half-migrated schemas (seed {seed}): {half}"
    behind = sorted(g for g, s in states.items() if s == (False, False, False))
    assert behind, f"every schema was migrated before the kill (seed {seed})"
    assert all(states[g] == (True, True, True) for g in guilds if g not in behind)
    report = await migrate_all(database, MigrateOptions(shared=False, guild_ids=guilds, root=root))
    assert report.ok and [r.guild_id for r in report.guilds] == behind
    assert {r.status for r in report.guilds} == {"migrated"}
    admin = await asyncpg.connect(database.dsn)
    try:
        assert set((await _states(admin, guilds, version)).values()) == {(True, True, True)}
    finally:
        await admin.close()


async def _until(predicate, seconds: float) -> None:
    """Poll ``await predicate()`` until true; fail after ``seconds``."""
    async with asyncio.timeout(seconds):
        while True:
            if await predicate():
                return
            await asyncio.sleep(0.005)
