"""FakeDiscord: the test-facing object that owns the server, the state and the helpers.

What it does lives with its concern: ``world`` (users, guilds, members, roles, a user's
message), ``actions`` (slash commands, buttons, modals), ``waiting`` (bounded waits for the
bot), ``rest`` and ``gateway`` (the two halves of the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import socket
from collections.abc import Iterator
from typing import Any

import disnake
from aiohttp import web

from .actions import InteractionActions
from .bits import FLAG_EPHEMERAL, INTENT_GUILD_MESSAGES, PRIVILEGED_INTENTS
from .gateway import Gateway
from .interactions import InteractionRecord
from .models import FakeGuild, FakeUser, message_payload, new_snowflake
from .rest import RecordedRequest, RestAPI
from .waiting import Waiting
from .world import WorldBuilding

DEFAULT_TOKEN = "fake-bot-token"


class FakeDiscord(InteractionActions, WorldBuilding, Waiting):
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

        self._init_records()
        self.gateway = Gateway(self)
        self.rest = RestAPI(self)
        self._ready_sent = False
        self._cond = asyncio.Condition()
        self._consumed: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    def _init_records(self) -> None:
        """The fake's state: guilds, messages, interactions, commands and what it recorded."""
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
        """GET /applications/@me: the application, its bot and its owner (or team)."""
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
            self._add_team(data, owners)
        return data

    def _add_team(self, data: dict[str, Any], owners: list[FakeUser]) -> None:
        """A team owns the application: the owner is the team, its members the owners."""
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
