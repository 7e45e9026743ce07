"""A warm pool of spare tenant schemas, claimed by renaming one to ``guild_<id>``.

Building a guild schema is server-side DDL (~25 relations, a dozen btree builds) and costs
tens of milliseconds; renaming a ready-made schema costs well under one. A spare is a complete
tenant schema at the head — tables from the tenant DDL and aerich rows — named
``guildhall_spare_<hex>`` and marked with ``COMMENT ON SCHEMA … IS '<head> ddl:<hash>'``
(:func:`spare_marker`). It is not in the registry, and the migration runner (which lists
``guild_<digits>`` schemas and the registry) never sees it. A spare whose marker is not this
process's (left over from before a deploy, or built from other models) is never claimed and is
dropped by the next refill.

Claiming happens inside provisioning's transaction, so a provisioning that fails rolls the
rename back and the spare survives. Two claimers never take one spare: each takes a
transaction-level advisory lock on the spare's name before renaming it, and re-checks (in a
new statement) that the spare still exists after getting the lock.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.tenancy.connections.config import SHARED_ALIAS, TENANT_APP
from app.tenancy.migrations.applier import dollar_quoted
from app.tenancy.migrations.ddl import execute_ddl
from app.tenancy.migrations.files import head_version
from app.tenancy.naming import (
    SPARE_PATTERN,
    quote_any_schema,
    spare_role,
    spare_schema,
)
from app.tenancy.registry.duties import Duty, try_xact_lock
from app.tenancy.schemas.builder import build_schema
from app.tenancy.schemas.roles import create_role, drop_role

log = logging.getLogger(__name__)

#: Claims try this many candidates (each lost to a concurrent claimer) before giving up.
CLAIM_ATTEMPTS = 5

_SPARES = """SELECT n.nspname, obj_description(n.oid, 'pg_namespace') AS version
              FROM pg_namespace n WHERE n.nspname ~ $1"""

_COUNT_CURRENT = """SELECT count(*) AS n FROM pg_namespace n
                    WHERE n.nspname ~ $1 AND obj_description(n.oid, 'pg_namespace') = $2"""

# The OFFSET 0 fence keeps the planner from evaluating the lock function on rows the other
# conditions would reject; LIMIT 1 stops at the first spare whose lock was free.
_PICK = """SELECT nspname FROM (
               SELECT n.nspname FROM pg_namespace n
               WHERE n.nspname ~ $1 AND obj_description(n.oid, 'pg_namespace') = $2
               OFFSET 0
           ) AS spare
           WHERE pg_try_advisory_xact_lock(hashtext(spare.nspname))
           LIMIT 1"""

_STILL_THERE = "SELECT to_regnamespace($1) IS NOT NULL AS present"


@dataclass(frozen=True)
class RefillReport:
    """What one refill did."""

    dropped: int
    created: int
    current: int


def spare_marker(ddl: str) -> str:
    """What a spare is marked with: the tenant head and a fingerprint of the DDL it was built
    from, so a process only ever claims spares built from its own models ("" when there are
    no migrations)."""
    head = head_version(TENANT_APP)
    if not head:
        return ""
    fingerprint = hashlib.sha256(ddl.encode()).hexdigest()[:16]
    return f"{head} ddl:{fingerprint}"


async def _build_spare(conn: BaseDBAsyncClient, ddl: str, tag: str) -> str:
    """Create one spare, owned by a role of its own, in ``conn``'s open transaction; returns
    its name."""
    marker = spare_marker(ddl)
    if not marker:
        raise RuntimeError("the tenant app has no migrations: spares cannot be marked")
    name = spare_schema()
    owner = spare_role(tag, name)
    await create_role(conn, owner)
    await build_schema(conn, name, owner, ddl)
    await execute_ddl(
        conn,
        "SET LOCAL search_path TO DEFAULT",
        f"COMMENT ON SCHEMA {quote_any_schema(name)} IS {dollar_quoted(marker)}",
    )
    return name


async def create_spare(ddl: str, tag: str) -> str:
    """Create one spare schema at the head in one transaction; returns its name."""
    async with in_transaction(SHARED_ALIAS) as conn:
        return await _build_spare(conn, ddl, tag)


async def list_spares() -> dict[str, str | None]:
    """Every spare schema and its version marker."""
    async with in_transaction(SHARED_ALIAS) as conn:
        rows = await conn.execute_query_dict(_SPARES, [SPARE_PATTERN.pattern])
    return {row["nspname"]: row["version"] for row in rows}


async def _drop_spare(conn: BaseDBAsyncClient, name: str, tag: str) -> None:
    await execute_ddl(conn, f"DROP SCHEMA IF EXISTS {quote_any_schema(name)} CASCADE")
    await drop_role(conn, spare_role(tag, name))


async def drop_stale_spares(marker: str, tag: str) -> int:
    """Drop spares whose marker is not ``marker``; returns how many were dropped.

    Each drop takes the spare's advisory lock first (skipping one a claimer holds: an older
    process may be renaming it right now) and re-checks that it still exists.
    """
    dropped = 0
    for name, version in (await list_spares()).items():
        if version == marker:
            continue
        async with in_transaction(SHARED_ALIAS) as conn:
            rows = await conn.execute_query_dict(
                "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked", [name]
            )
            if not rows[0]["locked"]:
                continue
            rows = await conn.execute_query_dict(_STILL_THERE, [name])
            if not rows[0]["present"]:
                continue
            await _drop_spare(conn, name, tag)
            dropped += 1
    return dropped


async def refill_spares(ddl: str, target: int, tag: str) -> RefillReport:
    """Drop stale spares, then create spares until ``target`` current ones exist.

    Each creation counts and creates in one transaction under the refill's advisory lock,
    which is only tried (:mod:`app.tenancy.registry.duties`): concurrent refills (in this or
    other processes) never overshoot ``target``, and one that finds another at work stops,
    leaving the topping up to it. Errors propagate;
    :class:`app.tenancy.registry.runtime.Tenancy` runs this in the background and only logs
    them.
    """
    marker = spare_marker(ddl)
    if not marker:
        return RefillReport(0, 0, 0)
    dropped = await drop_stale_spares(marker, tag)
    created = 0
    current = 0
    while True:
        async with in_transaction(SHARED_ALIAS) as conn:
            if not await try_xact_lock(conn, Duty.SPARE_REFILL):
                break  # another refill (here or in another process) is at it and tops up
            rows = await conn.execute_query_dict(_COUNT_CURRENT, [SPARE_PATTERN.pattern, marker])
            current = int(rows[0]["n"])
            if current >= target:
                break
            await _build_spare(conn, ddl, tag)
        created += 1
    if dropped or created:
        log.info(
            "spare schemas: %d dropped (stale), %d created, %d ready", dropped, created, current
        )
    return RefillReport(dropped, created, current)


async def claim_spare(conn: BaseDBAsyncClient, marker: str) -> str | None:
    """Lock one spare marked ``marker`` (see :func:`spare_marker`) for ``conn``'s transaction
    and return its name (None: none).

    The caller renames it in the same transaction. In READ COMMITTED the picking statement's
    snapshot may still show a spare a concurrent claimer renamed and committed just before
    this one got its lock, so a new statement checks the spare is still there.
    """
    if not marker:
        return None
    for _ in range(CLAIM_ATTEMPTS):
        rows = await conn.execute_query_dict(_PICK, [SPARE_PATTERN.pattern, marker])
        if not rows:
            return None
        name = str(rows[0]["nspname"])
        still = await conn.execute_query_dict(_STILL_THERE, [name])
        if still[0]["present"]:
            return name
    return None
