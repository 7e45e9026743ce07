"""Verify every guild schema against the reference for its recorded version.

Whatever the number of guilds, this is a fixed handful of queries: the registry, the list of
Guildhall's schemas, one reference schema per distinct recorded version, one digest per
schema (:mod:`~app.tenancy.schemas.verify.shape`; spread over helper connections on one
snapshot, :mod:`~app.tenancy.schemas.verify.split`), and the full items of the schemas whose
digest or owners differ. Everything runs in one transaction that is rolled back, so the
reference schemas (and their roles) vanish with it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.tenancy.connections.config import TENANT_APP
from app.tenancy.errors import InvalidGuildId, TenancyError
from app.tenancy.migrations.files import head_version, list_migrations
from app.tenancy.naming import (
    SCHEMA_PATTERN,
    SCRATCH_PATTERN,
    SPARE_PATTERN,
    database_tag,
    guild_id_of,
    schema_for,
)
from app.tenancy.schemas.spares import spare_marker
from app.tenancy.schemas.verify.compare import compare, expected_owner
from app.tenancy.schemas.verify.reference import Reference, build_references
from app.tenancy.schemas.verify.report import Drift, VerifyReport
from app.tenancy.schemas.verify.shape import SESSION, Digest, read_items
from app.tenancy.schemas.verify.split import export_snapshot, read_digests_split


class VerifyInputError(TenancyError):
    """``--guild`` named a guild the database knows nothing about."""


class NoRegistry(TenancyError):
    """The shared schema (the registry) does not exist yet: nothing to verify against."""


# Read separately and matched in Python: joining the registry with pg_namespace goes
# quadratic while the catalog statistics lag behind new schemas (see migrations/versions.py).
_REGISTRY = 'SELECT guild_id, schema_version FROM "shared"."tenant"'
_SCHEMAS = "SELECT nspname, obj_description(oid, 'pg_namespace') AS marker FROM pg_namespace"
_OURS = re.compile("|".join(p.pattern for p in (SCHEMA_PATTERN, SPARE_PATTERN, SCRATCH_PATTERN)))


@dataclass
class _Plan:
    """Which schema is checked against which version, and what is orphaned or left over."""

    versions: dict[str, str]  # schema → recorded version
    guilds: dict[str, int]  # schema → guild id (spares have none)
    report: VerifyReport


async def _plan(conn: Any, ddl: str, guild_ids: Collection[int] | None) -> _Plan:
    if await conn.fetchval('SELECT to_regclass(\'"shared"."tenant"\') IS NULL'):
        raise NoRegistry("the shared schema is not created yet; run `guildhall db migrate`")
    registry = {r["guild_id"]: r["schema_version"] or "" for r in await conn.fetch(_REGISTRY)}
    markers = {
        r["nspname"]: r["marker"] for r in await conn.fetch(_SCHEMAS) if _OURS.match(r["nspname"])
    }
    report = VerifyReport()
    wanted = set(registry) if guild_ids is None else set(guild_ids)
    unknown = sorted(g for g in wanted if g not in registry and schema_for(g) not in markers)
    if unknown:
        raise VerifyInputError(
            f"guild {unknown[0]} is not registered and has no schema {schema_for(unknown[0])}; "
            "check the id (`guildhall tenants list`)"
        )
    plan = _Plan({}, {}, report)
    names, marker_now = {schema_for(g) for g in wanted}, spare_marker(ddl)
    for guild_id in sorted(wanted & registry.keys()):
        schema = schema_for(guild_id)
        if schema in markers:
            plan.versions[schema], plan.guilds[schema] = registry[guild_id], guild_id
        else:
            report.missing_schemas[guild_id] = schema
    for name, marker in sorted(markers.items()):
        if SCHEMA_PATTERN.match(name):
            if _registered(name, registry) is None and (guild_ids is None or name in names):
                report.unregistered_schemas.append(name)
        elif guild_ids is not None:
            continue  # spares and scratch schemas belong to no guild
        elif SPARE_PATTERN.match(name) and marker == marker_now:
            plan.versions[name] = head_version(TENANT_APP)
            report.spares_ready += 1
        elif SPARE_PATTERN.match(name):
            report.leftover_spares.append(name)
        else:
            report.leftover_scratch.append(name)
    return plan


def _registered(schema: str, registry: dict[int, str]) -> int | None:
    """The guild id of a ``guild_<digits>`` schema if the registry has it."""
    try:
        guild_id = guild_id_of(schema)
    except InvalidGuildId:  # guild_0, or more digits than a snowflake: nobody's schema
        return None
    return guild_id if guild_id in registry else None


def _suspects(
    plan: _Plan,
    digests: dict[str, Digest],
    references: dict[str, Reference],
    owners: dict[str, str],
    login: str,
    root: Path | None,
) -> list[str]:
    """Schemas whose digest or owners differ from their reference's; schemas at a version
    this release does not have go straight into the report."""
    known = {m.version for m in list_migrations(TENANT_APP, root)}
    suspects = []
    for schema, version in plan.versions.items():
        guild_id = plan.guilds.get(schema)
        plan.report.checked += 1
        if version not in known:
            problem = f"recorded version {version or '(none)'!r} is not a migration of this release"
            plan.report.drifted.append(Drift(schema, guild_id, version, problem=problem))
            continue
        want, have = digests[references[version].schema], digests[schema]
        if want.digest != have.digest or have.owners != {login, owners[schema]}:
            suspects.append(schema)
    return suspects


async def verify_schemas(
    conn: Any,
    *,
    ddl: str,
    guild_ids: Collection[int] | None = None,
    root: Path | None = None,
    details: bool = True,
    helpers: Sequence[Any] = (),
) -> VerifyReport:
    """Compare every guild schema (or only ``guild_ids``') with its recorded version.

    ``conn`` is an asyncpg connection; ``ddl`` the tenant app's head DDL; ``helpers`` more
    connections to share the work with (:mod:`app.tenancy.schemas.verify.split`). With
    ``details`` False only the drifted schemas are found, not what differs (doctor).
    Raises :class:`VerifyInputError` for a guild id the database does not know and
    :class:`NoRegistry` for a database without the shared schema.
    """
    started = time.perf_counter()
    transaction = conn.transaction(isolation="repeatable_read")
    await transaction.start()
    try:
        snapshot = await export_snapshot(conn) if helpers else ""
        plan = await _plan(conn, ddl, guild_ids)
        login, database = await conn.fetchrow("SELECT current_user, current_database()")
        tag = database_tag(database)
        refs = await build_references(
            conn, set(plan.versions.values()), ddl=ddl, tag=tag, root=root
        )
        owners = {schema: expected_owner(schema, tag) for schema in plan.versions}
        local = {ref.schema: ref.role for ref in refs.values()}
        await conn.execute(SESSION)
        digests = await read_digests_split(conn, helpers, snapshot, owners, local)
        owners.update(local)
        suspects = _suspects(plan, digests, refs, owners, login, root)
        if details and suspects:
            wanted = [*suspects, *(ref.schema for ref in refs.values())]
            items = await read_items(conn, {schema: owners[schema] for schema in wanted})
        for schema in suspects:
            guild_id, version = plan.guilds.get(schema), plan.versions[schema]
            differences = []
            if details:
                reference = items[refs[version].schema]
                differences = compare(items[schema], reference, owners[schema], login)
            plan.report.drifted.append(Drift(schema, guild_id, version, differences))
    finally:
        await transaction.rollback()
    report = plan.report
    report.drifted.sort(key=lambda d: (d.guild_id is None, d.guild_id or 0, d.schema))
    report.seconds = time.perf_counter() - started
    return report
