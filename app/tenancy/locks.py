"""The one advisory-lock key of each schema Guildhall changes.

Provisioning, purge, the role pass and every migration of a guild schema take the same
transaction-level lock, so any two of them on one guild serialise; other schemas (shared,
scratch) lock on a hash of their name. The background duties that run in one process at a
time (spare refill, retention sweep) use the two-integer key space, apart from all of these:
their keys are in :mod:`app.tenancy.registry.duties`.
"""

from __future__ import annotations

from app.tenancy.naming import SCHEMA_PATTERN, guild_id_of, quote_any_schema


def guild_lock_key(guild_id: int) -> int:
    """A guild's lock key: its id, already a positive bigint (:mod:`app.snowflake`)."""
    return guild_id


def schema_lock_sql(schema: str) -> str:
    """A statement taking ``schema``'s transaction-level advisory lock (name validated)."""
    quote_any_schema(schema)  # refuses names Guildhall does not manage
    if SCHEMA_PATTERN.match(schema):
        return f"SELECT pg_advisory_xact_lock({guild_lock_key(guild_id_of(schema))})"
    return f"SELECT pg_advisory_xact_lock(hashtext('{schema}'))"
