"""Roles as the bot sees them change: created roles reach its cache (GUILD_ROLE_CREATE), and
the member-role routes refuse like Discord when the bot may not manage a role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .bits import MANAGE_ROLES
from .models import FakeGuild, FakeRole, new_snowflake
from .rest_base import error_response, no_content

if TYPE_CHECKING:
    from .rest import RestAPI
    from .rest_base import Handler, RecordedRequest
    from .server import FakeDiscord

#: Discord's "Missing Permissions" error code.
MISSING_PERMISSIONS = 50013


async def create_role(
    fake: FakeDiscord,
    guild_id: int,
    name: str,
    *,
    permissions: int = 0,
    above_bot: bool = False,
) -> FakeRole:
    """A moderator creates a role. Discord puts a new role at position 1 (just above
    @everyone, so below the bot's role) and clients shift the others up themselves; with
    ``above_bot`` the moderator then drags it to the top (GUILD_ROLE_UPDATE for each role
    that moved)."""
    guild = fake._joined_guild(guild_id)
    for other in guild.roles:
        if other.id != guild.id:
            other.position += 1
    role = FakeRole(id=new_snowflake(), name=name, permissions=permissions, position=1)
    guild.roles.append(role)
    await fake.gateway.dispatch(
        "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()}
    )
    if above_bot:
        ordered = sorted((r for r in guild.roles if r.id not in (guild.id, role.id)),
                         key=lambda r: r.position)  # fmt: skip
        before = {r.id: r.position for r in guild.roles}
        for position, other in enumerate([*ordered, role], start=1):
            other.position = position
        for moved in (r for r in guild.roles if before[r.id] != r.position):
            await fake.gateway.dispatch(
                "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": moved.payload()}
            )
    return role


def top_position(guild: FakeGuild, user_id: int) -> int:
    """The highest position among the member's roles (0: only @everyone)."""
    member = guild.members.get(user_id)
    positions = [r.position for r in guild.roles if member and r.id in member.roles]
    return max(positions, default=0)


def role_routes(api: RestAPI) -> list[tuple[str, str, Handler]]:
    """The member-role routes, for :class:`~.rest.RestAPI`'s table."""
    path = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"

    async def add(rec: RecordedRequest, guild_id: str, user_id: str, role_id: str) -> web.Response:
        return _change(api, guild_id, user_id, role_id, add=True)

    async def remove(
        rec: RecordedRequest, guild_id: str, user_id: str, role_id: str
    ) -> web.Response:
        return _change(api, guild_id, user_id, role_id, add=False)

    return [("PUT", path, add), ("DELETE", path, remove)]


def _change(api: RestAPI, guild_id: str, user_id: str, role_id: str, *, add: bool) -> web.Response:
    guild: FakeGuild | None = api._guild(guild_id)
    member = guild.members.get(int(user_id)) if guild else None
    role = guild.get_role(int(role_id)) if guild else None
    if guild is None or member is None:
        return error_response(404, "Unknown Member", 10007)
    if role is None:
        return error_response(404, "Unknown Role", 10011)
    bot_id = api.fake.bot_user.id
    # Administrator expands to every permission, Manage Roles included.
    allowed = guild.permissions_of(bot_id) & MANAGE_ROLES
    if not allowed or role.position >= top_position(guild, bot_id) or role.managed:
        return error_response(403, "Missing Permissions", MISSING_PERMISSIONS)
    if add and role.id not in member.roles:
        member.roles.append(role.id)
    if not add and role.id in member.roles:
        member.roles.remove(role.id)
    return no_content()


async def delete_role(fake: FakeDiscord, guild_id: int, role_id: int) -> None:
    """A moderator deletes a role: members lose it, the bot hears GUILD_ROLE_DELETE."""
    guild = fake._joined_guild(guild_id)
    guild.roles = [r for r in guild.roles if r.id != role_id]
    for member in guild.members.values():
        if role_id in member.roles:
            member.roles.remove(role_id)
    await fake.gateway.dispatch(
        "GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role_id)}
    )


async def set_role_permissions(
    fake: FakeDiscord, guild_id: int, role_id: int, permissions: int
) -> None:
    """A moderator edits a role's permissions (e.g. the bot's): GUILD_ROLE_UPDATE."""
    guild = fake._joined_guild(guild_id)
    role = guild.get_role(role_id)
    if role is None:
        msg = f"role {role_id} is not in guild {guild_id}"
        raise LookupError(msg)
    role.permissions = permissions
    await fake.gateway.dispatch(
        "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}
    )


def bot_role(fake: FakeDiscord, guild_id: int) -> FakeRole:
    """The role Discord made for the bot when it joined (managed, bot-tagged)."""
    guild = fake._joined_guild(guild_id)
    return next(r for r in guild.roles if r.bot_id == fake.bot_user.id)
