"""Context-menu commands: a user right-clicks a member and picks one of the bot's "Apps"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .interactions import FakeDiscordError, Reply

if TYPE_CHECKING:
    from .server import FakeDiscord

USER_COMMAND = 2


def _find(fake: FakeDiscord, guild_id: int, name: str) -> tuple[dict[str, Any], int | None] | None:
    for scope in (guild_id, None):
        for command in fake.registered_commands.get(scope, []):
            if command["name"] == name and command["type"] == USER_COMMAND:
                return command, scope
    return None


async def user_command(
    fake: FakeDiscord,
    guild_id: int,
    user_id: int,
    name: str,
    target_id: int,
    *,
    locale: str = "en-US",
    permissions: int | None = None,
    timeout_s: float | None = None,
) -> Reply:
    """``user_id`` runs the user command ``name`` on the member ``target_id``."""
    guild = fake._joined_guild(guild_id)
    fake.add_member(guild.id, user_id)
    await fake.wait_for(lambda: _find(fake, guild.id, name) is not None, f"{name!r} registered")
    found = _find(fake, guild.id, name)
    assert found is not None
    command, scope = found
    perms = fake._member_permissions(guild, user_id, permissions)
    required = command.get("default_member_permissions")
    if required is not None and (perms & int(required)) != int(required):
        msg = f"user {user_id} lacks default_member_permissions={required} for {name!r}"
        raise FakeDiscordError(msg)
    target = fake.add_member(guild.id, target_id)
    member = target.payload(with_user=False)
    member["permissions"] = str(guild.permissions_of(target_id))
    data: dict[str, Any] = {
        "id": command["id"],
        "name": command["name"],
        "type": USER_COMMAND,
        "target_id": str(target_id),
        "resolved": {
            "users": {str(target_id): target.user.payload()},
            "members": {str(target_id): member},
        },
    }
    if scope is not None:
        data["guild_id"] = str(scope)
    record = await fake._interact(2, guild, user_id, data, None, locale, perms)
    return await fake._reply(record, timeout_s, wait_for_result=True)
