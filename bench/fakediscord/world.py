"""Building the fake's world: users, guilds, members and roles; a user posting a message."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .bits import (
    ADMINISTRATOR,
    DEFAULT_MEMBER_PERMISSIONS,
    INTENT_GUILD_MESSAGES,
    INTENT_MESSAGE_CONTENT,
)
from .interactions import FakeDiscordError
from .models import (
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    mentioned_user_ids,
    new_snowflake,
)

if TYPE_CHECKING:
    from .gateway import Gateway


class WorldBuilding:
    """Mixed into FakeDiscord (which provides the state declared below)."""

    if TYPE_CHECKING:
        users: dict[int, FakeUser]
        guilds: dict[int, FakeGuild]
        bot_user: FakeUser
        owner_ids: list[int]
        gateway: Gateway
        enforce_intents: bool
        dropped_events: list[tuple[str, dict[str, Any]]]

        def _make_message(self, **kwargs: Any) -> dict[str, Any]: ...

    # -- world building -------------------------------------------------------------------

    def add_user(
        self, user_id: int | None = None, *, name: str | None = None, bot: bool = False
    ) -> FakeUser:
        user_id = user_id or new_snowflake()
        user = self.users.get(user_id)
        if user is None:
            user = FakeUser(id=user_id, username=name or f"user{user_id}", bot=bot)
            self.users[user_id] = user
        elif name is not None:
            user.username = name
        return user

    def add_guild(
        self,
        guild_id: int | None = None,
        *,
        name: str = "Test Guild",
        locale: str = "en-US",
        owner_id: int | None = None,
        channels: tuple[str, ...] = ("general",),
        everyone_permissions: int = DEFAULT_MEMBER_PERMISSIONS,
        bot_permissions: int = ADMINISTRATOR,
    ) -> FakeGuild:
        """A guild the bot is already in when it connects (sent in the GUILD_CREATE burst)."""
        if self.gateway.active is not None:
            msg = "the bot is connected; use `await fake.join_guild(...)` instead of add_guild"
            raise FakeDiscordError(msg)
        guild = self._make_guild(
            guild_id, name, locale, owner_id, channels, everyone_permissions, bot_permissions
        )
        guild.joined = True
        return guild

    async def join_guild(
        self, guild_id: int | None = None, *, name: str = "Joined Guild", **kwargs: Any
    ) -> FakeGuild:
        """The bot gets added to a guild: GUILD_CREATE -> on_guild_join."""
        guild = self.guilds.get(guild_id or 0)
        if guild is None:
            guild = self._make_guild(
                guild_id,
                name,
                kwargs.pop("locale", "en-US"),
                kwargs.pop("owner_id", None),
                kwargs.pop("channels", ("general",)),
                kwargs.pop("everyone_permissions", DEFAULT_MEMBER_PERMISSIONS),
                kwargs.pop("bot_permissions", ADMINISTRATOR),
            )
        if kwargs:
            msg = f"unexpected arguments {sorted(kwargs)}"
            raise TypeError(msg)
        self._ensure_bot_member(guild)
        guild.joined = True
        await self.gateway.dispatch("GUILD_CREATE", guild.payload())
        return guild

    async def remove_guild(self, guild_id: int) -> None:
        """The bot is kicked / the guild is deleted: GUILD_DELETE -> on_guild_remove."""
        guild = self._joined_guild(guild_id)
        guild.joined = False
        guild.members.pop(self.bot_user.id, None)
        await self.gateway.dispatch("GUILD_DELETE", {"id": str(guild.id)})

    def remove_guild_offline(self, guild_id: int) -> None:
        """The bot is removed while its shard is not connected: no event reaches it, and the
        shard's next READY no longer lists the guild."""
        guild = self._joined_guild(guild_id)
        if self.gateway.connection_for("GUILD_DELETE", {"id": str(guild_id)}) is not None:
            msg = f"guild {guild_id}'s shard is connected; use `await fake.remove_guild(...)`"
            raise FakeDiscordError(msg)
        guild.joined = False
        guild.members.pop(self.bot_user.id, None)

    def add_member(
        self,
        guild_id: int,
        user_id: int | None = None,
        *,
        name: str | None = None,
        roles: list[int] | None = None,
        nick: str | None = None,
        bot: bool = False,
    ) -> FakeMember:
        """Silently make a user a member (no gateway event); idempotent."""
        guild = self.guilds[guild_id]
        user = self.add_user(user_id, name=name, bot=bot)
        member = guild.members.get(user.id)
        if member is None:
            member = guild.members[user.id] = FakeMember(user=user)
        if roles is not None:
            member.roles = list(roles)
        if nick is not None:
            member.nick = nick
        return member

    def add_role(self, guild_id: int, name: str, *, permissions: int = 0) -> FakeRole:
        guild = self.guilds[guild_id]
        role = FakeRole(
            id=new_snowflake(), name=name, permissions=permissions, position=len(guild.roles)
        )
        guild.roles.append(role)
        return role

    # -- user actions ---------------------------------------------------------------------

    async def send_message(
        self,
        guild_id: int,
        channel_id: int | None,
        author_id: int,
        content: str,
        *,
        bot: bool = False,
    ) -> dict[str, Any]:
        """A user posts in a channel: MESSAGE_CREATE (subject to intents, like Discord)."""
        guild = self._joined_guild(guild_id)
        member = self.add_member(guild.id, author_id, bot=bot)
        mentions = []
        for uid in mentioned_user_ids(content):
            if uid in self.users:
                mention = self.users[uid].payload()
                if uid in guild.members:
                    mention["member"] = guild.members[uid].payload(with_user=False)
                mentions.append(mention)
        message = self._make_message(
            channel_id=channel_id or guild.channel_id,
            guild_id=guild.id,
            author=member.user,
            content=content,
            member=member,
            mentions=mentions,
        )
        event = copy.deepcopy(message)
        intents = self.gateway.intents
        if self.enforce_intents and not intents & INTENT_GUILD_MESSAGES:
            self.dropped_events.append(("MESSAGE_CREATE", event))
            return message
        bot_mentioned = self.bot_user.id in mentioned_user_ids(content)
        if self.enforce_intents and not intents & INTENT_MESSAGE_CONTENT and not bot_mentioned:
            # without the privileged MESSAGE_CONTENT intent Discord blanks these fields
            event.update(content="", embeds=[], attachments=[], components=[])
        await self.gateway.dispatch("MESSAGE_CREATE", event)
        return message

    # -- internals ------------------------------------------------------------------------

    def _make_guild(
        self,
        guild_id: int | None,
        name: str,
        locale: str,
        owner_id: int | None,
        channels: tuple[str, ...],
        everyone_permissions: int,
        bot_permissions: int,
    ) -> FakeGuild:
        guild_id = guild_id or new_snowflake()
        if guild_id in self.guilds:
            msg = f"guild {guild_id} already exists"
            raise FakeDiscordError(msg)
        owner = self.add_user(owner_id or self.owner_ids[0])
        guild = FakeGuild(id=guild_id, name=name, locale=locale, owner_id=owner.id)
        guild.roles.append(
            FakeRole(id=guild_id, name="@everyone", permissions=everyone_permissions)
        )
        bot_role = FakeRole(
            id=new_snowflake(),
            name=self.bot_user.username,
            permissions=bot_permissions,
            position=1,
            managed=True,
            bot_id=self.bot_user.id,
        )
        guild.roles.append(bot_role)
        guild.channels = [
            FakeChannel(id=new_snowflake(), guild_id=guild_id, name=c, position=i)
            for i, c in enumerate(channels)
        ]
        self.guilds[guild_id] = guild
        guild.members[owner.id] = FakeMember(user=owner)
        self._ensure_bot_member(guild)
        return guild

    def _ensure_bot_member(self, guild: FakeGuild) -> None:
        if self.bot_user.id not in guild.members:
            bot_role = next((r.id for r in guild.roles if r.bot_id == self.bot_user.id), None)
            guild.members[self.bot_user.id] = FakeMember(
                user=self.bot_user, roles=[bot_role] if bot_role else []
            )

    def _joined_guild(self, guild_id: int) -> FakeGuild:
        guild = self.guilds.get(guild_id)
        if guild is None or not guild.joined:
            msg = f"the bot is not in guild {guild_id}"
            raise FakeDiscordError(msg)
        return guild

    def _find_channel(self, channel_id: int) -> tuple[FakeGuild, FakeChannel] | None:
        for guild in self.guilds.values():
            channel = guild.get_channel(channel_id)
            if channel is not None and guild.joined:
                return guild, channel
        return None
