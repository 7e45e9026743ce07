"""FakeDiscord: the test-facing object that owns the server, the state and the helpers."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import socket
from collections.abc import Callable, Iterator
from typing import Any

import disnake
from aiohttp import web

from .actions import InteractionActions
from .gateway import OP_RECONNECT, Gateway
from .interactions import (
    FakeDiscordError,
    InteractionRecord,
)
from .models import (
    ADMINISTRATOR,
    DEFAULT_MEMBER_PERMISSIONS,
    FLAG_EPHEMERAL,
    INTENT_GUILD_MESSAGES,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    mentioned_user_ids,
    message_payload,
    new_snowflake,
)
from .rest import RecordedRequest, RestAPI

DEFAULT_TOKEN = "fake-bot-token"


class FakeDiscord(InteractionActions):
    """An in-process Discord (REST + gateway) for end-to-end tests of a disnake bot.

    Typical use::

        fake = FakeDiscord()
        guild = fake.add_guild(name="Guild A")
        await fake.start()
        with fake.patched_route_base():
            task = asyncio.create_task(bot.start(fake.token))
            await fake.wait_for_ready()
            reply = await fake.slash(guild.id, 42, "ping")
    """

    def __init__(
        self,
        *,
        app_id: int | None = None,
        bot_user_id: int | None = None,
        bot_name: str = "FakeBot",
        owner_ids: list[int] | None = None,
        team: bool | None = None,
        token: str = DEFAULT_TOKEN,
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
        enforce_intents: bool = True,
        echo_bot_messages: bool = True,
        heartbeat_interval_ms: int = 41_250,
        default_timeout: float = 10.0,
        recommended_shards: int = 1,
    ) -> None:
        self.app_id = app_id or new_snowflake()
        self.token = token
        self.application_flags = 0
        self.allowed_privileged_intents = allowed_privileged_intents
        self.enforce_intents = enforce_intents
        self.echo_bot_messages = echo_bot_messages
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.default_timeout = default_timeout
        #: what GET /gateway/bot recommends (a bot without SHARD_COUNT uses it)
        self.recommended_shards = recommended_shards
        #: when set to an Event, IDENTIFY is answered with READY only once it is set
        self.hold_ready: asyncio.Event | None = None

        self.users: dict[int, FakeUser] = {}
        self.bot_user = self.add_user(bot_user_id or self.app_id, name=bot_name, bot=True)
        self.owner_ids = list(owner_ids) if owner_ids else [new_snowflake()]
        for owner_id in self.owner_ids:
            self.add_user(owner_id)
        self.team = len(self.owner_ids) > 1 if team is None else team
        self._team_id = new_snowflake()

        self.guilds: dict[int, FakeGuild] = {}
        #: every message that exists, by id (user messages, bot sends, interaction responses)
        self.messages: dict[int, dict[str, Any]] = {}
        #: messages the bot sent with POST /channels/{id}/messages, in order
        self.channel_messages: list[dict[str, Any]] = []
        #: interactions we sent, by token
        self.interactions: dict[str, InteractionRecord] = {}
        #: commands the bot registered: None -> global, guild id -> guild commands
        self.registered_commands: dict[int | None, list[dict[str, Any]]] = {}
        self._command_ids: dict[tuple[int | None, int, str], int] = {}

        self.requests: list[RecordedRequest] = []
        #: requests to routes the fake does not know (answered 404) -- should stay empty
        self.unknown_requests: list[RecordedRequest] = []
        #: requests answered with status >= 400 (includes unknown_requests)
        self.failed_requests: list[RecordedRequest] = []
        #: gateway events not delivered because the bot lacks the intent
        self.dropped_events: list[tuple[str, dict[str, Any]]] = []

        self.gateway = Gateway(self)
        self.rest = RestAPI(self)
        self._ready_sent = False
        self._cond = asyncio.Condition()
        self._consumed: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_route("*", "/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``disnake.http.Route.BASE``."""
        return f"{self.http_base}{RestAPI.PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @contextlib.contextmanager
    def patched_route_base(self) -> Iterator[None]:
        """Point disnake's REST (and interaction webhooks) at the fake, restoring afterwards."""
        old = disnake.http.Route.BASE
        disnake.http.Route.BASE = self.api_base
        try:
            yield
        finally:
            disnake.http.Route.BASE = old

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

    # -- waiting --------------------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[], bool], what: str, timeout_s: float | None = None
    ) -> None:
        """Wait (bounded) until ``predicate()`` holds; re-checked on every request/event."""
        timeout_s = self.default_timeout if timeout_s is None else timeout_s
        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(predicate), timeout_s)
            except TimeoutError:
                msg = f"fake discord: timed out after {timeout_s}s waiting for {what}"
                raise FakeDiscordError(msg) from None

    async def wait_for_ready(
        self, *, timeout_s: float | None = None, commands: bool = True
    ) -> None:
        """Wait until the bot identified and got its guilds (and, by default, synced commands)."""

        def ready() -> bool:
            synced = any(self.registered_commands.values()) or not commands
            return self._ready_sent and self.gateway.active is not None and synced

        what = "the bot to connect" + (" and sync commands" if commands else "")
        await self.wait_for(ready, what, timeout_s)

    async def wait_for_shards(
        self, shard_ids: list[int], *, timeout_s: float | None = None
    ) -> None:
        """Wait until each of ``shard_ids`` has identified (or resumed) and is connected."""
        await self.wait_for(
            lambda: all(self.gateway.shard_connected(s) for s in shard_ids),
            f"shards {shard_ids} to connect",
            timeout_s,
        )

    async def wait_for_bot_message(
        self,
        channel_id: int | None = None,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout_s: float | None = None,
    ) -> dict[str, Any]:
        """Next not-yet-returned message the bot sent with POST /channels/{id}/messages."""
        found: list[dict[str, Any]] = []

        def check() -> bool:
            for m in self.channel_messages:
                if m["id"] in self._consumed:
                    continue
                if channel_id is not None and m["channel_id"] != str(channel_id):
                    continue
                if predicate is None or predicate(m):
                    found.append(m)
                    return True
            return False

        await self.wait_for(check, f"a bot message in channel {channel_id}", timeout_s)
        self._consumed.add(found[0]["id"])
        return found[0]

    async def request_reconnect(
        self, *, close_code: int | None = None, timeout_s: float | None = None
    ) -> None:
        """Send op 7 RECONNECT (or close the socket with ``close_code``, e.g. 4000) and wait
        until the bot RESUMEs its session; events sent meanwhile are replayed."""
        before = self.gateway.resume_count
        if close_code is None:
            await self.gateway.send_op(OP_RECONNECT)
        else:
            await self.gateway.drop(close_code)
        await self.wait_for(
            lambda: self.gateway.resume_count > before and self.gateway.active is not None,
            "the bot to resume",
            timeout_s,
        )

    async def dispatch_event(self, event: str, data: dict[str, Any]) -> None:
        """Escape hatch: send any raw gateway dispatch."""
        await self.gateway.dispatch(event, data)

    # -- assertions / lookups -------------------------------------------------------------

    def requests_for(self, route: str) -> list[RecordedRequest]:
        """Recorded requests for a route template, e.g. "PUT /applications/{app_id}/commands"."""
        return [r for r in self.requests if r.route == route]

    def command(self, name: str, guild_id: int | None = None) -> dict[str, Any] | None:
        return next(
            (c for c in self.registered_commands.get(guild_id, []) if c["name"] == name), None
        )

    def assert_clean(self) -> None:
        """No unknown routes were hit and no request was answered with an error."""
        assert not self.unknown_requests, [f"{r.method} {r.path}" for r in self.unknown_requests]
        assert not self.failed_requests, [
            (f"{r.method} {r.path}", r.status, r.body) for r in self.failed_requests
        ]

    # -- internals ------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

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

    def _store_command(self, scope: int | None, body: dict[str, Any]) -> dict[str, Any]:
        ctype = int(body.get("type", 1))
        key = (scope, ctype, body["name"])
        command_id = self._command_ids.setdefault(key, new_snowflake())
        stored = {
            **body,
            "id": str(command_id),
            "application_id": str(self.app_id),
            "version": str(new_snowflake()),
            "type": ctype,
        }
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    def _make_message(self, **kwargs: Any) -> dict[str, Any]:
        message = message_payload(message_id=new_snowflake(), **kwargs)
        self.messages[int(message["id"])] = message
        return message

    async def _echo_message(self, message: dict[str, Any]) -> None:
        """Like Discord, the bot also receives MESSAGE_CREATE for its own visible messages."""
        if not self.echo_bot_messages or message["flags"] & FLAG_EPHEMERAL:
            return
        if self.gateway.active is None:
            return
        if self.enforce_intents and not self.gateway.intents & INTENT_GUILD_MESSAGES:
            self.dropped_events.append(("MESSAGE_CREATE", message))
            return
        await self.gateway.dispatch("MESSAGE_CREATE", copy.deepcopy(message))

    def application_payload(self) -> dict[str, Any]:
        owners = [self.users[i] for i in self.owner_ids]
        data: dict[str, Any] = {
            "id": str(self.app_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "bot": self.bot_user.payload(),
            "owner": owners[0].payload(),
            "team": None,
            "approximate_guild_count": sum(g.joined for g in self.guilds.values()),
        }
        if self.team:
            team_id = str(self._team_id)
            data["owner"] = {
                "id": team_id,
                "username": f"team{team_id}",
                "discriminator": "0000",
                "avatar": None,
                "flags": 1024,
            }
            data["team"] = {
                "id": team_id,
                "name": "Fake Team",
                "icon": None,
                "owner_user_id": str(owners[0].id),
                "members": [
                    {
                        "membership_state": 2,
                        "team_id": team_id,
                        "role": "admin",
                        "permissions": ["*"],
                        "user": o.payload(),
                    }
                    for o in owners
                ],
            }
        return data
