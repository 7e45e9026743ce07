"""A server that allows fewer connections than the budget (issue 13, fault tests): leases wait
for the connections the process has, or fail with the server's one line; the process never
storms the server with reconnects and logs no traceback.

The limit is a ``CONNECTION LIMIT`` on a login role (or a database) the test creates itself;
the shared server's own settings are never touched.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest

from app.tenancy.connections.config import ServerAddress
from app.tenancy.schemas.roles import drop_database_roles

REPO = Path(__file__).resolve().parents[2]
GUILDS, TASKS, SECONDS = 40, 24, 4.0
#: The default budget (40), which the load process keeps whatever the server allows.
BUDGET = 40


@pytest.fixture
async def limited_login(tenancy, request) -> AsyncIterator[ServerAddress]:
    """A non-superuser login owning a database of its own, with ``request.param`` =
    (``"ROLE"`` or ``"DATABASE"``, limit) as the CONNECTION LIMIT; both dropped afterwards."""
    on, limit = request.param
    name = f"{tenancy.address.database}_cl"
    role_limit = f"CONNECTION LIMIT {limit}" if on == "ROLE" else ""
    db_limit = f"CONNECTION LIMIT {limit}" if on == "DATABASE" else ""
    admin = await asyncpg.connect(tenancy.address.dsn)
    await admin.execute(f'CREATE ROLE "{name}" LOGIN NOINHERIT CREATEROLE {role_limit}')
    await admin.execute(f'CREATE DATABASE "{name}" OWNER "{name}" {db_limit}')
    try:
        yield replace(tenancy.address, user=name, password=None, database=name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await drop_database_roles(admin, name)
        await admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        await admin.close()


async def _run_load(address: ServerAddress) -> tuple[dict, str]:
    load = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.reliability.conn_limit_load", address.dsn,
        str(GUILDS), str(TASKS), str(SECONDS), cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(load.communicate(), 180)
    finally:
        if load.returncode is None:
            load.kill()
            await load.wait()
    assert load.returncode == 0, err.decode()[-3000:]
    return json.loads(out.decode().splitlines()[-1]), err.decode()


@pytest.mark.parametrize(
    "limited_login", [("ROLE", 10), ("DATABASE", 8)], indirect=True, ids=["role", "database"]
)
async def test_a_limit_below_the_budget_means_waits_not_a_reconnect_storm(
    limited_login: ServerAddress,
) -> None:
    """24 tasks over 40 guilds (pinned and shared tiers) with a budget of 40 and a limit of
    8-10: every operation succeeds or fails with the server's one line, the process tries to
    open at most a budget's worth of connections in all, and the log has no traceback."""
    report, log = await _run_load(limited_login)

    outcomes = dict(report["outcomes"])
    served = outcomes.pop("ok", 0)
    assert all(error.startswith("TooManyConnectionsError: too many") for error in outcomes), (
        outcomes
    )
    assert served > 10 * TASKS, report  # it served, under the limit
    assert sum(outcomes.values()) <= served // 10, report  # waits rather than refusals
    assert report["budget"] == BUDGET and report["attempts_under_load"] <= BUDGET, report
    refusals = [line for line in log.splitlines() if "too many connections" in line]
    assert len(refusals) <= 4, log  # one line per tier and period, not one per lease
    for unwanted in ("Traceback", "never retrieved", " CRITICAL "):
        assert unwanted not in log, f"{unwanted!r} in the log:\n{log[-3000:]}"
