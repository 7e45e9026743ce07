"""Guildhall on a least-privilege login: no superuser, NOINHERIT, CREATEROLE, owns its database.

The whole operator path works through the real ``guildhall`` command, and the login itself —
a connection not bound to a guild — reads no guild table: only ``SET ROLE`` to the guild's
role does.
"""

from __future__ import annotations

import asyncpg
import pytest

from app.cli.doctor_rights import rights_finding
from app.tenancy.naming import database_tag, role_for
from tests.own_login import own_login

GUILD = 123456789012345678


@pytest.fixture
async def least_privileged(tenancy):
    """A login role and a database it owns; both dropped afterwards."""
    async with own_login(tenancy.address, f"{tenancy.address.database}_lp") as address:
        yield address


async def test_the_operator_path_works_and_the_login_reads_no_guild_table(
    cli, least_privileged
) -> None:
    """migrate, provision, export, disable, purge as the login; unbound, it is refused."""
    env = {"DATABASE_URL": least_privileged.dsn}
    for args in (("db", "migrate"), ("tenants", "provision", str(GUILD), "--name", "LP")):
        result = await cli(*args, **env)
        assert result.code == 0, result.stderr
    exported = await cli("tenants", "export", str(GUILD), **env)
    assert exported.code == 0 and '"guild_id"' in exported.stdout, exported.stderr
    role = role_for(database_tag(least_privileged.database), GUILD)
    login = await asyncpg.connect(least_privileged.dsn)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login.fetch(f'SELECT * FROM "guild_{GUILD}".tag')
        await login.execute(f'SET ROLE "{role}"')
        assert await login.fetchval(f'SELECT count(*) FROM "guild_{GUILD}".tag') == 0
        await login.execute("RESET ROLE")
        assert (await cli("tenants", "disable", str(GUILD), **env)).code == 0
        purged = await cli("tenants", "purge", str(GUILD), "--yes", **env)
        assert purged.code == 0, purged.stderr
        assert await login.fetchval("SELECT count(*) FROM pg_roles WHERE rolname = $1", role) == 0
    finally:
        await login.close()


async def test_doctor_rights_finding_names_what_to_grant(tenancy, least_privileged) -> None:
    """Least privilege: ok; superuser: info; no CREATEROLE: error naming the ALTER ROLE."""
    superuser = await asyncpg.connect(tenancy.address.dsn)
    login = await asyncpg.connect(least_privileged.dsn)
    try:
        assert (await rights_finding(login)).level == "ok"
        assert (await rights_finding(superuser)).level == "info"
        await superuser.execute(f'ALTER ROLE "{least_privileged.user}" NOCREATEROLE INHERIT')
        missing = await rights_finding(login)
        await superuser.execute(f'ALTER ROLE "{least_privileged.user}" CREATEROLE')
        inheriting = await rights_finding(login)
    finally:
        await login.close()
        await superuser.close()
    assert missing.level == "error" and "CREATEROLE" in missing.fix
    assert inheriting.level == "warning" and "NOINHERIT" in inheriting.fix
