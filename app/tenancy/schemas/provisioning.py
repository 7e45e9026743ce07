"""Creating a guild's tenant: registry row, schema, tables at the head, aerich state.

All of it happens in one transaction under an advisory lock on the guild id, so concurrent
calls for one guild serialise, a second call finds the work done, and a failure midway rolls
back the row and the schema together. A ready spare schema (:mod:`app.tenancy.schemas.spares`) is
renamed to the guild's schema when there is one; a rollback renames it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.models.shared import Tenant
from app.tenancy.connections.config import SHARED_ALIAS, TENANT_APP
from app.tenancy.errors import ProvisioningError, TenancyError
from app.tenancy.locks import guild_lock_key
from app.tenancy.migrations.ddl import execute_ddl
from app.tenancy.migrations.files import head_version
from app.tenancy.naming import (
    parse_guild_id,
    quote_any_schema,
    quote_role,
    quote_schema,
    role_for,
    schema_for,
    spare_role,
)
from app.tenancy.schemas.builder import build_schema
from app.tenancy.schemas.roles import create_role, role_exists
from app.tenancy.schemas.spares import claim_spare, spare_marker


@dataclass(frozen=True)
class ProvisionResult:
    """What provisioning one guild did."""

    guild_id: int
    schema: str
    created: bool
    error: str | None = None
    #: The schema was a spare renamed to the guild's name (not built from the DDL).
    from_spare: bool = False


async def _record(
    conn: BaseDBAsyncClient,
    tenant: Tenant | None,
    guild_id: int,
    schema: str,
    name: str,
    head: str,
) -> None:
    """The guild's registry row, new, or at ``head`` again if it outlived its schema."""
    if tenant is None:
        await Tenant.create(
            using_db=conn, guild_id=guild_id, schema_name=schema, name=name[:100],
            schema_version=head,
        )  # fmt: skip
    else:  # the row outlived its schema (dropped by hand): it is rebuilt at the head
        await Tenant.filter(guild_id=guild_id).using_db(conn).update(schema_version=head)


async def provision(
    guild_id: int, *, ddl: str, tag: str, name: str = "", use_spares: bool = True
) -> ProvisionResult:
    """Create the guild's tenant if it does not exist yet (idempotent).

    ``ddl`` is the tenant app's schema SQL, unqualified; it runs with ``search_path`` set to
    the new schema. When ``use_spares`` and a spare schema at the head is ready
    (:mod:`app.tenancy.schemas.spares`), it is renamed to the guild's schema instead and ``ddl`` is
    not run. The schema and everything in it belong to the guild's role (``tag``: the
    database's, :func:`~app.tenancy.naming.database_tag`), created here too. Raises
    :class:`ProvisioningError` (and leaves nothing behind: a claimed spare stays a spare) on
    failure.
    """
    guild_id = parse_guild_id(guild_id)
    schema = schema_for(guild_id)
    role = role_for(tag, guild_id)
    head = head_version(TENANT_APP)
    from_spare = False
    try:
        async with in_transaction(SHARED_ALIAS) as conn:
            await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [guild_lock_key(guild_id)])
            rows = await conn.execute_query_dict(
                "SELECT to_regnamespace($1) IS NOT NULL AS present", [schema]
            )
            schema_exists = bool(rows[0]["present"])
            tenant = await Tenant.filter(guild_id=guild_id).using_db(conn).first()
            if tenant is not None and schema_exists:
                return ProvisionResult(guild_id, schema, created=False)
            if not schema_exists and use_spares:
                from_spare = schema_exists = await _use_spare(conn, ddl, tag, schema, role)
            # Before the search_path moves to the new schema: the registry is unqualified SQL.
            await _record(conn, tenant, guild_id, schema, name, head)
            if not schema_exists:
                await create_role(conn, role)
                await build_schema(conn, schema, role, ddl)
    except TenancyError:
        raise
    except Exception as exc:
        raise ProvisioningError(
            f"provisioning guild {guild_id} failed and was rolled back: {exc}"
        ) from exc
    return ProvisionResult(guild_id, schema, created=True, from_spare=from_spare)


async def _use_spare(conn: BaseDBAsyncClient, ddl: str, tag: str, schema: str, role: str) -> bool:
    """Claim a ready spare and make it the guild's schema; False when there is none to use."""
    # A role left behind by a schema dropped by hand: build afresh, owned by it.
    if await role_exists(conn, role):
        return False
    spare = await claim_spare(conn, spare_marker(ddl))
    if spare is None:
        return False
    # The spare already holds the tables and aerich rows at the head, owned by its own role:
    # both are renamed.
    await _rename_spare(conn, spare, tag, schema, role)
    return True


async def _rename_spare(
    conn: BaseDBAsyncClient, spare: str, tag: str, schema: str, role: str
) -> None:
    """Make a claimed spare the guild's: its schema and its role get the guild's names."""
    await execute_ddl(
        conn,
        f"ALTER SCHEMA {quote_any_schema(spare)} RENAME TO {quote_schema(schema)}",
        f"COMMENT ON SCHEMA {quote_schema(schema)} IS NULL",
        f"ALTER ROLE {quote_role(spare_role(tag, spare))} RENAME TO {quote_role(role)}",
    )


async def provision_many(
    guild_ids: Iterable[int],
    *,
    ddl: str,
    tag: str,
    names: dict[int, str] | None = None,
    jobs: int = 4,
    use_spares: bool = True,
) -> list[ProvisionResult]:
    """Provision many guilds, ``jobs`` at a time; one guild's failure does not stop the rest."""
    names = names or {}
    gate = asyncio.Semaphore(jobs)

    async def one(guild_id: int) -> ProvisionResult:
        async with gate:
            try:
                return await provision(
                    guild_id, ddl=ddl, tag=tag, name=names.get(guild_id, ""), use_spares=use_spares
                )
            except TenancyError as exc:
                return ProvisionResult(guild_id, f"guild_{guild_id}", False, error=str(exc))

    return list(await asyncio.gather(*(one(g) for g in dict.fromkeys(guild_ids))))
