"""The one way a tenant schema is built, for a joining guild and for a spare alike."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from app.tenancy.naming import quote_any_schema, quote_role


async def build_schema(conn: BaseDBAsyncClient, schema: str, role: str, ddl: str) -> None:
    """Create ``schema`` for ``role`` and run the tenant ``ddl`` in it as ``role``.

    One round trip. The schema is the login's, ``role`` alone is granted it and owns every
    table (:mod:`app.tenancy.schemas.roles`); the rest of ``conn``'s transaction runs as
    ``role`` with ``search_path`` on the new schema, so the caller's aerich rows land there.
    """
    quoted, owner = quote_any_schema(schema), quote_role(role)
    await conn.execute_script(
        f"CREATE SCHEMA {quoted}; GRANT USAGE, CREATE ON SCHEMA {quoted} TO {owner}; "
        f"SET LOCAL ROLE {owner}; SET LOCAL search_path TO {quoted};\n{ddl}"
    )
