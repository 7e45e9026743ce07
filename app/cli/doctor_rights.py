"""``guildhall doctor``: does the login have the rights per-guild roles need, and no more?

A superuser works but is not least privilege. Otherwise the login needs CREATEROLE (a role
per guild) and CREATE on the database (a schema per guild); with NOINHERIT, a connection that
is not bound to a guild sees no guild's data at all (README, "Database roles").
"""

from __future__ import annotations

from typing import Any

from app.cli._findings import Finding

_RIGHTS = """
SELECT current_user AS login, current_database() AS db, r.rolsuper AS superuser,
       r.rolcreaterole AS createrole, r.rolinherit AS inherit,
       has_database_privilege(current_user, current_database(), 'CREATE') AS create_schemas
FROM pg_roles r WHERE r.rolname = current_user
"""


async def rights_finding(conn: Any) -> Finding:
    """The login's rights for per-guild roles, with the GRANT that fixes what is missing."""
    row = await conn.fetchrow(_RIGHTS)
    login, db = row["login"], row["db"]
    if row["superuser"]:
        return Finding(
            "rights",
            "info",
            f"login {login} is a superuser: everything works, but guild code that runs SQL "
            "could SET ROLE to any role; a least-privilege login is safer",
            f'CREATE ROLE guildhall LOGIN NOINHERIT CREATEROLE; ALTER DATABASE "{db}" '
            "OWNER TO guildhall; then use that login in DATABASE_URL",
        )
    missing = []
    if not row["createrole"]:
        missing.append(f'ALTER ROLE "{login}" CREATEROLE;')
    if not row["create_schemas"]:
        missing.append(f'GRANT CREATE ON DATABASE "{db}" TO "{login}";')
    if missing:
        return Finding(
            "rights",
            "error",
            f"login {login} cannot create a role and a schema per guild: provisioning fails",
            "as a superuser: " + " ".join(missing),
        )
    if row["inherit"]:
        return Finding(
            "rights",
            "warning",
            f"login {login} inherits its guild roles' rights: a connection not bound to a "
            "guild can read every guild's tables",
            f'ALTER ROLE "{login}" NOINHERIT;',
        )
    return Finding(
        "rights",
        "ok",
        f"login {login}: no superuser, CREATEROLE, CREATE on {db}, NOINHERIT (least privilege)",
    )
