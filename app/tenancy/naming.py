"""The one mapping from a guild id to its PostgreSQL schema name.

No other code builds an SQL identifier: every schema name that reaches SQL goes through
:func:`schema_for` or :func:`quote_schema`, which refuse anything that is not ``guild_<id>``
(or :func:`quote_any_schema`, which also accepts the shared, scratch and spare schemas).
"""

from __future__ import annotations

import hashlib
import re
import secrets

from app.snowflake import parse_snowflake
from app.tenancy.errors import InvalidGuildId

SCHEMA_PATTERN = re.compile(r"^guild_[0-9]{1,20}$")
SCHEMA_PREFIX = "guild_"

#: The shared app's schema (tenant registry, global users).
SHARED_SCHEMA = "shared"
#: The static "tenant" connection's search_path: a schema that never exists, so a tenant
#: query made outside a binding fails with "relation does not exist" instead of leaking.
UNBOUND_SCHEMA = "guildhall_unbound"


def parse_guild_id(value: object) -> int:
    """Return ``value`` as a Discord guild id, or raise :class:`InvalidGuildId`.

    Accepts an int or a string of decimal digits; refuses 0, negatives, ``>= 2**63`` (ids are
    stored as bigint, see :mod:`app.snowflake`), empty strings, booleans and anything else.
    """
    number = parse_snowflake(value)
    if number is None:
        raise InvalidGuildId(value)
    return number


def schema_for(guild_id: int) -> str:
    """The schema name of a guild: ``guild_<id>``."""
    return f"{SCHEMA_PREFIX}{parse_guild_id(guild_id)}"


def guild_id_of(schema: str) -> int:
    """The guild id of a ``guild_<id>`` schema name; refuses anything else."""
    if not SCHEMA_PATTERN.match(schema):
        raise InvalidGuildId(schema)
    return parse_guild_id(schema[len(SCHEMA_PREFIX) :])


#: Throw-away schemas ``guildhall db makemigrations`` diffs in, never a guild's.
SCRATCH_PATTERN = re.compile(r"^guildhall_scratch_[0-9a-f]{8}$")


def scratch_schema() -> str:
    """A fresh throw-away schema name for ``makemigrations``."""
    return f"guildhall_scratch_{secrets.token_hex(4)}"


#: Spare tenant schemas built ahead of time and renamed to ``guild_<id>`` when a guild joins
#: (:mod:`app.tenancy.schemas.spares`). Not guild schemas: the registry and the migration runner
#: never see them.
SPARE_PATTERN = re.compile(r"^guildhall_spare_[0-9a-f]{16}$")


def spare_schema() -> str:
    """A fresh spare schema name."""
    return f"guildhall_spare_{secrets.token_hex(8)}"


def quote_any_schema(schema: str) -> str:
    """``schema`` quoted, if it is one Guildhall may touch: shared, a guild's, a scratch or a
    spare."""
    if schema == SHARED_SCHEMA or SCRATCH_PATTERN.match(schema) or SPARE_PATTERN.match(schema):
        return f'"{schema}"'
    return quote_schema(schema)  # refuses anything but guild_<id>


def quote_schema(schema: str) -> str:
    """``schema`` as a quoted SQL identifier, after checking it is a guild schema name."""
    if not SCHEMA_PATTERN.match(schema):
        raise InvalidGuildId(schema)
    return f'"{schema}"'


#: Per-guild database roles. Roles are cluster-wide while schemas live in one database, so a
#: role name carries a tag of the database it belongs to (:func:`database_tag`): two
#: deployments (or two test databases) on one server never share or collide on a role.
ROLE_PATTERN = re.compile(r"^gh_[0-9a-f]{8}_([0-9]{1,20}|spare_[0-9a-f]{16})$")


def database_tag(database: str) -> str:
    """Eight hex digits naming ``database`` in role names (a hash of its name)."""
    return hashlib.sha256(database.encode()).hexdigest()[:8]


def role_for(tag: str, guild_id: int) -> str:
    """The role that owns guild ``guild_id``'s schema in the database tagged ``tag``."""
    return _checked_role(f"gh_{tag}_{parse_guild_id(guild_id)}")


def spare_role(tag: str, spare: str) -> str:
    """The role owning spare schema ``spare``; it is renamed with the schema when claimed."""
    if not SPARE_PATTERN.match(spare):
        raise ValueError(f"{spare!r} is not a spare schema name")
    return _checked_role(f"gh_{tag}_spare_{spare.rsplit('_', 1)[1]}")


def quote_role(role: str) -> str:
    """``role`` as a quoted SQL identifier, after checking it is a Guildhall role name."""
    return f'"{_checked_role(role)}"'


def _checked_role(role: str) -> str:
    if not ROLE_PATTERN.match(role):
        raise ValueError(f"{role!r} is not a Guildhall role name (gh_<tag>_<guild id>)")
    return role
