"""Database-enforced isolation: every guild connection runs as its guild's own role.

What PostgreSQL itself refuses on a guild connection, on both tiers: another guild's schema,
the shared schema and ``public``, read or written, even fully qualified.
"""

from __future__ import annotations

import asyncpg
import pytest
from tortoise.exceptions import OperationalError

from app.models.tenant import Tag
from app.tenancy import guild_db
from app.tenancy.guild_data.retention import purge_tenant
from app.tenancy.migrations.role_pass import give_roles, schemas_without_role
from app.tenancy.naming import quote_role, schema_for


@pytest.fixture(params=["pinned", "shared"])
async def two_guilds(request, provisioned, tenancy, monkeypatch) -> tuple[int, int]:
    """Guilds A and B, both served by the pinned tier or both by the shared tier."""
    a, b = await provisioned("A"), await provisioned("B")
    if request.param == "pinned":
        assert await tenancy.connections.pin(a) and await tenancy.connections.pin(b)
    else:
        monkeypatch.setattr(tenancy.connections.pinned, "capacity", 0)
    async with guild_db(b):
        await Tag.create(name="secret", name_key="secret", content="of B", author_id=2)
    return a, b


@pytest.fixture
async def admin(tenancy):
    conn = await asyncpg.connect(tenancy.address.dsn)
    try:
        yield conn
    finally:
        await conn.close()


def _statements(b: int) -> dict[str, str]:
    other = f'"{schema_for(b)}".tag'
    return {
        "select another guild": f"SELECT * FROM {other}",
        "insert into another guild": (
            f"INSERT INTO {other} (name, name_key, content, author_id, uses, created_at, "
            "updated_at) VALUES ('x', 'x', 'x', 1, 0, now(), now())"
        ),
        "update another guild": f"UPDATE {other} SET content = 'stolen'",
        "delete from another guild": f"DELETE FROM {other}",
        "select the registry": "SELECT * FROM shared.tenant",
        "update the registry": "UPDATE shared.tenant SET status = 'active'",
        "delete from the registry": "DELETE FROM shared.tenant",
        "insert into the registry": "INSERT INTO shared.users (user_id) VALUES (1)",
        "select public": "SELECT * FROM public.guildhall_public_probe",
        "create in public": "CREATE TABLE public.guildhall_intruder (id int)",
    }


async def test_other_guilds_shared_and_public_are_refused(two_guilds, admin) -> None:
    """Qualified reads and writes outside the guild's schema: permission denied, all of them."""
    a, b = two_guilds
    await admin.execute("CREATE TABLE IF NOT EXISTS public.guildhall_public_probe (id int)")
    refused = {}
    for what, sql in _statements(b).items():
        async with guild_db(a) as conn:
            with pytest.raises(OperationalError) as caught:
                await conn.execute_query(sql)
            refused[what] = str(caught.value)
    assert all("permission denied" in message for message in refused.values()), refused
    async with guild_db(b):
        assert [t.content for t in await Tag.all()] == ["of B"]


async def test_everything_in_the_own_schema_works(two_guilds, tenancy) -> None:
    """Own tables and sequences: insert (nextval), read, update, delete; as the guild's role."""
    a, _ = two_guilds
    async with guild_db(a) as conn:
        tag = await Tag.create(name="mine", name_key="mine", content="c", author_id=1)
        tag.content = "changed"
        await tag.save()
        rows = await conn.execute_query_dict("SELECT current_user AS who")
        assert rows[0]["who"] == tenancy.role_for(a)
        await conn.execute_query("SELECT setval('tag_id_seq', 100)")
        assert (await Tag.create(name="n", name_key="n", content="c", author_id=1)).id == 101
        await tag.delete()
        assert await Tag.all().count() == 1


async def test_reset_role_on_a_pinned_connection_stays_on_the_guild(provisioned, tenancy) -> None:
    """Pinned connections carry the role as a startup option: RESET ROLE / RESET ALL keep it."""
    a = await provisioned()
    assert await tenancy.connections.pin(a)
    async with guild_db(a) as conn:
        await conn.execute_script("RESET ROLE; RESET ALL")
        rows = await conn.execute_query_dict("SELECT current_user AS who")
    assert rows[0]["who"] == tenancy.role_for(a)


async def test_a_purged_guild_leaves_no_role(provisioned, tenancy, admin) -> None:
    """Purge drops the schema, the registry row and the guild's role."""
    a = await provisioned()
    role = tenancy.role_for(a)
    assert await admin.fetchval("SELECT count(*) FROM pg_roles WHERE rolname = $1", role) == 1
    await tenancy.disable(a)
    await purge_tenant(a)
    assert await admin.fetchval("SELECT count(*) FROM pg_roles WHERE rolname = $1", role) == 0


async def _strip_role(admin: asyncpg.Connection, tenancy, guild_id: int) -> None:
    """Put a guild schema back the way schemas were made before per-guild roles."""
    schema, role = schema_for(guild_id), tenancy.role_for(guild_id)
    # One statement per call, and no REASSIGN OWNED: it crashes a Citus 13.2 coordinator.
    await admin.execute(
        f"""DO $$ DECLARE r record; BEGIN
        FOR r IN SELECT relname FROM pg_class WHERE relnamespace = '{schema}'::regnamespace
                 AND relowner = '{role}'::regrole AND relkind IN ('r', 'p', 'v', 'm', 'f')
        LOOP EXECUTE format('ALTER TABLE %I.%I OWNER TO CURRENT_USER', '{schema}', r.relname);
        END LOOP; END $$"""
    )
    await admin.execute(f'REVOKE ALL ON SCHEMA "{schema}" FROM {quote_role(role)}')
    await admin.execute(f"DROP ROLE {quote_role(role)}")
    owners = await admin.fetch(
        "SELECT DISTINCT relowner::regrole::text AS o FROM pg_class "
        "WHERE relnamespace = $1::regnamespace",
        schema,
    )
    assert role not in {r["o"] for r in owners}


async def test_role_pass_gives_old_schemas_their_role_once(provisioned, tenancy, admin) -> None:
    """Schemas without a role get one (owner of every table); a second pass does nothing."""
    old = [await provisioned() for _ in range(3)]
    for guild_id in old:
        await _strip_role(admin, tenancy, guild_id)
    # Written by the login, as before per-guild roles: no session ever ran as the role the
    # pass gives (on Citus one would keep a worker connection as the dropped role: README,
    # "Capacity").
    await admin.execute(
        f'INSERT INTO "{schema_for(old[0])}".tag (name, name_key, content, author_id, '
        "created_at, updated_at) VALUES ('kept', 'kept', 'c', 1, now(), now())"
    )
    database = tenancy.address.database
    assert {schema_for(g) for g in old} <= set(await schemas_without_role(admin, database))
    first = await give_roles(admin, database)
    assert set(old) <= set(first.given) and not first.failed
    assert await schemas_without_role(admin, database) == []
    second = await give_roles(admin, database)
    assert second.given == [] and second.failed == {}
    for guild_id in old:
        tenancy.connections.evict(guild_id)
    async with guild_db(old[0]) as conn:
        assert [t.name for t in await Tag.all()] == ["kept"]
        rows = await conn.execute_query_dict("SELECT current_user AS who")
        assert rows[0]["who"] == tenancy.role_for(old[0])
