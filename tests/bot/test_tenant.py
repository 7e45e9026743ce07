"""/tenant (owners only) and what members see in a disabled guild, through the fake Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise import connections

from app.models.shared import TenantStatus
from app.models.tenant import Tag
from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.naming import quote_schema, schema_for
from bench.fakediscord import MANAGE_GUILD, MODERATE_MEMBERS, FakeDiscordError, FakeGuild
from tests.bot.conftest import ALICE, APP_OWNER, EXTRA_OWNER, MOD, World, tenant_of

pytestmark = pytest.mark.e2e

DISABLED = "Guildhall is disabled in this server. Nothing was changed, and your data is kept."


async def tenant(
    world: World, guild: FakeGuild | int, sub: str, *, user: int = APP_OWNER, **options: object
) -> str:
    """Run ``/tenant sub`` (as an owner unless told otherwise) where the owner can see it
    (Manage Server); its reply must be ephemeral."""
    reply = await world.slash(guild, user, "tenant", sub, options=options, permissions=MANAGE_GUILD)
    assert reply.ephemeral
    return reply.content or ""


async def test_status_shows_schema_state_rows_size_and_cache(
    world: World, guild: FakeGuild
) -> None:
    """The owner's status names the schema and status, counts rows and sizes the schema."""
    await world.slash(guild, ALICE, "tag", "create", options={"name": "a", "content": "b"})
    text = await tenant(world, guild, "status")
    lines = text.splitlines()
    assert lines[0] == f"**Test Guild** (`{guild.id}`)"
    assert lines[1] == f"Schema: `guild_{guild.id}`"
    assert lines[2] == "Status: active"
    assert lines[3] == "Rows — members: 0, tags: 1, notes: 0"
    assert lines[4].startswith("Schema size: ")
    assert lines[4].endswith("KiB")
    assert lines[5].startswith("Connections — pinned hits: ")


async def test_status_accepts_another_guilds_id(world: World, guild: FakeGuild) -> None:
    """guild_id (a string option) picks any guild, not just the current one."""
    other = await world.new_guild(name="Other")
    text = await tenant(world, guild, "status", guild_id=str(other.id))
    assert text.splitlines()[0] == f"**Other** (`{other.id}`)"


async def test_tenant_is_hidden_from_members_without_manage_server(
    world: World, guild: FakeGuild
) -> None:
    """/tenant asks Discord for Manage Server: moderators and members never see it."""
    registered = world.fake.command("tenant")
    assert registered is not None
    assert registered["default_member_permissions"] == str(MANAGE_GUILD)
    with pytest.raises(FakeDiscordError, match="Discord would not even show the command"):
        await world.slash(guild, MOD, "tenant", "status", permissions=MODERATE_MEMBERS)


@pytest.mark.parametrize("sub", ["status", "enable", "disable"])
async def test_non_owner_is_refused_and_nothing_changes(
    world: World, guild: FakeGuild, sub: str
) -> None:
    """Members who can see /tenant (Manage Server) but own nothing are still refused."""
    reply = await world.slash(guild, MOD, "tenant", sub, permissions=MANAGE_GUILD)
    assert reply.content == "Only the bot's owners can use this command."
    assert reply.ephemeral
    found = await tenant_of(guild.id)
    assert found is not None
    assert (found.status, found.reason) == (TenantStatus.ACTIVE, None)


async def test_disable_with_reason_refuses_members_but_keeps_data(
    world: World, guild: FakeGuild
) -> None:
    """After /tenant disable, tenant commands say so (with the reason); rows stay."""
    await world.slash(guild, ALICE, "tag", "create", options={"name": "kept", "content": "x"})
    text = await tenant(world, guild, "disable", reason="unpaid invoice")
    assert text == (
        f"Server {guild.id} is disabled (reason: unpaid invoice). "
        "Its data is kept; /tenant enable serves it again."
    )
    expected = (
        "Guildhall is disabled in this server (reason: unpaid invoice). "
        "Nothing was changed, and your data is kept."
    )
    for command, sub, options in [
        ("tag", "show", {"name": "kept"}),
        ("tag", "create", {"name": "new", "content": "x"}),
        ("tag", "list", {}),
        ("rank", None, {}),
        ("leaderboard", None, {}),
    ]:
        reply = await world.slash(guild, ALICE, command, sub, options=options)
        assert (reply.content, reply.ephemeral) == (expected, True), command
    note = await world.slash(
        guild,
        MOD,
        "note",
        "add",
        options={"member": ALICE, "content": "x"},
        permissions=MODERATE_MEMBERS,
    )
    assert note.content == expected
    french = await world.slash(guild, ALICE, "tag", "list", locale="fr")
    assert french.content == (
        "Guildhall est désactivé sur ce serveur (raison : unpaid invoice). "
        "Rien n'a été modifié et vos données sont conservées."
    )
    assert [t.name for t in await world.rows(guild, lambda: Tag.all())] == ["kept"]


async def test_owner_commands_keep_working_in_a_disabled_guild(
    world: World, guild: FakeGuild
) -> None:
    """Status and enable work while the guild is disabled; enable serves it again."""
    await tenant(world, guild, "disable")
    status = await tenant(world, guild, "status")
    assert "Status: disabled" in status
    assert await tenant(world, guild, "enable") == f"Server {guild.id} is enabled."
    reply = await world.slash(guild, ALICE, "tag", "list")
    assert reply.content == "This server has no tags yet. Create one with /tag create."


async def test_owner_ids_setting_grants_owner_commands(world: World, guild: FakeGuild) -> None:
    """A user in OWNER_IDS (not the application owner) may use /tenant."""
    assert await tenant(world, guild, "disable", user=EXTRA_OWNER) == (
        f"Server {guild.id} is disabled. Its data is kept; /tenant enable serves it again."
    )
    found = await tenant_of(guild.id)
    assert found is not None
    assert found.status == TenantStatus.DISABLED


async def test_enable_until_a_date_then_expiry_refuses_members(
    world: World, guild: FakeGuild
) -> None:
    """/tenant enable until=DATE serves through that day; once past, members are refused."""
    text = await tenant(world, guild, "enable", until="2999-01-31")
    assert text == f"Server {guild.id} is enabled until 2999-02-01 00:00 UTC."
    found = await tenant_of(guild.id)
    assert found is not None
    assert found.paid_until == datetime(2999, 2, 1, tzinfo=UTC)
    assert "paid until 2999-02-01 00:00 UTC" in await tenant(world, guild, "status")
    await world.tenancy.enable(guild.id, until=datetime.now(UTC) - timedelta(days=1))
    reply = await world.slash(guild, ALICE, "tag", "list")
    assert reply.content is not None
    assert reply.content.startswith("Guildhall's subscription for this server ended on ")
    assert "Status: expired" in await tenant(world, guild, "status")


@pytest.mark.parametrize(
    ("sub", "options", "expected"),
    [
        ("enable", {"until": "soon"}, "`soon` is not a date; use YYYY-MM-DD or an ISO datetime."),
        (
            "enable",
            {"until": "2001-01-01"},
            "`2001-01-01` is in the past; give a later date, or none for no end.",
        ),
        ("disable", {"reason": "r" * 201}, "A reason is at most 200 characters; this one has 201."),
        (
            "status",
            {"guild_id": "abc"},
            "`abc` is not a server id; copy it with Developer Mode (Copy Server ID).",
        ),
        (
            "disable",
            {"guild_id": "0"},
            "`0` is not a server id; copy it with Developer Mode (Copy Server ID).",
        ),
        (
            "disable",
            {"guild_id": "123456789012345678"},
            "Server 123456789012345678 has no Guildhall instance (the bot was never set up there).",
        ),
    ],
    ids=["until-garbage", "until-past", "reason-long", "id-letters", "id-zero", "id-unknown"],
)
async def test_tenant_bad_input_is_refused_and_nothing_changes(
    world: World, guild: FakeGuild, sub: str, options: dict[str, object], expected: str
) -> None:
    """Malformed dates, reasons and guild ids get clear replies; the registry is untouched."""
    before = await tenant_of(guild.id)
    reply = await world.slash(guild, APP_OWNER, "tenant", sub, options=options)
    assert (reply.content, reply.ephemeral) == (expected, True)
    after = await tenant_of(guild.id)
    assert before is not None
    assert after is not None
    assert (after.status, after.reason, after.paid_until) == (
        before.status,
        before.reason,
        before.paid_until,
    )


async def test_unprovisioned_guild_is_reported_and_enable_sets_it_up(
    world: World, guild: FakeGuild
) -> None:
    """A guild with no tenant says "not set up"; /tenant enable there provisions it."""
    conn = connections.get(SHARED_ALIAS)
    await conn.execute_script(f"DROP SCHEMA {quote_schema(schema_for(guild.id))} CASCADE")
    await conn.execute_query("DELETE FROM tenant WHERE guild_id = $1", [guild.id])
    await world.tenancy.drop_cached_state(guild.id)
    reply = await world.slash(guild, ALICE, "tag", "list")
    assert reply.content == (
        "Guildhall is not set up in this server yet; that usually happens within a minute of "
        "adding the bot. If it lasts, ask a server admin to remove the bot and add it again."
    )
    assert await tenant(world, guild, "enable") == f"Server {guild.id} is enabled."
    created = await world.slash(
        guild, ALICE, "tag", "create", options={"name": "a", "content": "b"}
    )
    assert created.content == "Tag **a** created."
