"""The REST half of the fake: a small route table, request recording, Discord-style errors."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .interactions import (
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE_MESSAGE,
    InteractionRecord,
)
from .models import FLAG_EPHEMERAL, FLAG_LOADING, iso_now, new_snowflake

if TYPE_CHECKING:
    from .server import FakeDiscord

# interaction type -> callback types Discord accepts for it
_ALLOWED_CALLBACKS = {
    2: {CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_MODAL},
    3: {CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE}
    | {CALLBACK_UPDATE_MESSAGE, CALLBACK_MODAL},
    4: {CALLBACK_AUTOCOMPLETE},
    5: {CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE}
    | {CALLBACK_UPDATE_MESSAGE},
}
_EDITABLE = ("content", "embeds", "components", "allowed_mentions", "attachments")


class Refusal(Exception):
    """Raised by a route helper: answer the request with ``response`` (a Discord error)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class RecordedRequest:
    method: str
    #: path below the API prefix, e.g. "/applications/1/commands"
    path: str
    #: route template, e.g. "PUT /applications/{app_id}/commands" (None if unknown)
    route: str | None
    query: dict[str, str]
    headers: dict[str, str]
    #: parsed JSON body, or the ``payload_json`` field of a multipart body
    body: Any
    #: uploaded files: {"field", "filename", "content"}
    files: list[dict[str, Any]] = field(default_factory=list)
    status: int = 0


def json_response(data: Any, status: int = 200) -> web.Response:
    # disnake only parses bodies whose Content-Type is *exactly* "application/json";
    # web.json_response appends "; charset=utf-8" and breaks login.
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json"},
    )


def error_response(status: int, message: str, code: int = 0) -> web.Response:
    return json_response({"message": message, "code": code}, status=status)


def no_content() -> web.Response:
    return web.Response(status=204)


Handler = Callable[..., Awaitable[web.Response]]


class RestAPI:
    PREFIX = "/api/v10"

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        cmd = "/applications/{app_id}/commands"
        gcmd = "/applications/{app_id}/guilds/{guild_id}/commands"
        wh = "/webhooks/{app_id}/{token}"
        msgs = "/channels/{channel_id}/messages"
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/users/@me", self.get_me),
            ("DELETE", "/users/@me/guilds/{guild_id}", self.leave_guild),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", cmd, self.get_commands),
            ("PUT", cmd, self.put_commands),
            ("POST", cmd, self.upsert_command),
            ("GET", cmd + "/{command_id}", self.get_command),
            ("PATCH", cmd + "/{command_id}", self.edit_command),
            ("DELETE", cmd + "/{command_id}", self.delete_command),
            ("GET", gcmd + "/permissions", self.get_command_permissions),
            ("GET", gcmd, self.get_commands),
            ("PUT", gcmd, self.put_commands),
            ("POST", gcmd, self.upsert_command),
            ("GET", gcmd + "/{command_id}", self.get_command),
            ("PATCH", gcmd + "/{command_id}", self.edit_command),
            ("DELETE", gcmd + "/{command_id}", self.delete_command),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.callback),
            ("POST", wh, self.followup),
            ("GET", wh + "/messages/{message_id}", self.get_webhook_message),
            ("PATCH", wh + "/messages/{message_id}", self.edit_webhook_message),
            ("DELETE", wh + "/messages/{message_id}", self.delete_webhook_message),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("POST", msgs, self.create_message),
            ("GET", msgs + "/{message_id}", self.get_message),
            ("PATCH", msgs + "/{message_id}", self.edit_message),
            ("DELETE", msgs + "/{message_id}", self.delete_message),
            ("PUT", msgs + "/{message_id}/reactions/{emoji}/@me", self.ok_no_content),
            ("POST", "/channels/{channel_id}/typing", self.ok_no_content),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.get_guild_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("PATCH", "/guilds/{guild_id}/members/{user_id}", self.edit_member),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}", self.kick_member),
            ("PUT", "/guilds/{guild_id}/bans/{user_id}", self.ok_no_content),
            ("DELETE", "/guilds/{guild_id}/bans/{user_id}", self.ok_no_content),
        ]
        from .roles import role_routes  # (roles.py builds on this module)

        table += role_routes(self)
        for method, template, handler in table:
            self.routes.append((method, _compile(template), f"{method} {template}", handler))

    # -- plumbing -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        fake = self.fake
        path = request.path
        if path.startswith(self.PREFIX):
            path = path[len(self.PREFIX) :]
        body, files = await _read_body(request)
        rec = RecordedRequest(
            method=request.method,
            path=path,
            route=None,
            query=dict(request.query),
            headers=dict(request.headers),
            body=body,
            files=files,
        )
        fake.requests.append(rec)
        response = None
        for method, pattern, name, handler in self.routes:
            match = pattern.match(path) if request.method == method else None
            if match:
                rec.route = name
                params = match.groupdict()
                public = path == "/gateway" or path.startswith(("/webhooks/", "/interactions/"))
                if not public and request.headers.get("Authorization") != f"Bot {fake.token}":
                    response = error_response(401, "401: Unauthorized")
                else:
                    try:
                        response = await handler(rec, **params)
                    except Refusal as refusal:
                        response = refusal.response
                break
        if response is None:
            fake.unknown_requests.append(rec)
            response = error_response(404, "404: Not Found")
        rec.status = response.status
        if response.status >= 400:
            fake.failed_requests.append(rec)
        await fake._notify()
        return response

    async def ok_no_content(self, rec: RecordedRequest, **_: str) -> web.Response:
        return no_content()

    # -- gateway / identity ---------------------------------------------------------------

    async def get_gateway(self, rec: RecordedRequest) -> web.Response:
        return json_response({"url": self.fake.gateway_url})

    async def get_gateway_bot(self, rec: RecordedRequest) -> web.Response:
        return json_response(
            {
                "url": self.fake.gateway_url,
                "shards": self.fake.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def get_me(self, rec: RecordedRequest) -> web.Response:
        me = self.fake.bot_user.payload()
        return json_response({**me, "verified": True, "mfa_enabled": False, "flags": 0})

    async def get_user(self, rec: RecordedRequest, user_id: str) -> web.Response:
        user = self.fake.users.get(int(user_id))
        if user is None:
            return error_response(404, "Unknown User", 10013)
        return json_response(user.payload())

    async def get_application(self, rec: RecordedRequest) -> web.Response:
        return json_response(self.fake.application_payload())

    async def leave_guild(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        guild = self.fake.guilds.get(int(guild_id))
        if guild is None or not guild.joined:
            return error_response(404, "Unknown Guild", 10004)
        await self.fake.remove_guild(guild.id)
        return no_content()

    # -- application commands -------------------------------------------------------------

    def _scope(self, app_id: str, guild_id: str | None) -> int | None:
        """The command scope (None: global); refuses another application's id."""
        if int(app_id) != self.fake.app_id:
            raise Refusal(error_response(403, "Missing Access", 50001))
        return None if guild_id is None else int(guild_id)

    async def get_commands(
        self, rec: RecordedRequest, app_id: str, guild_id: str | None = None
    ) -> web.Response:
        scope = self._scope(app_id, guild_id)
        return json_response(self.fake.registered_commands.get(scope, []))

    async def put_commands(
        self, rec: RecordedRequest, app_id: str, guild_id: str | None = None
    ) -> web.Response:
        scope = self._scope(app_id, guild_id)
        stored = [self.fake._store_command(scope, c) for c in rec.body or []]
        self.fake.registered_commands[scope] = stored
        return json_response(stored)

    async def upsert_command(
        self, rec: RecordedRequest, app_id: str, guild_id: str | None = None
    ) -> web.Response:
        scope = self._scope(app_id, guild_id)
        stored = self.fake._store_command(scope, rec.body)
        current = self.fake.registered_commands.setdefault(scope, [])
        current[:] = [c for c in current if c["id"] != stored["id"]] + [stored]
        return json_response(stored, status=201)

    def _command(self, scope: int | None, command_id: str) -> dict[str, Any]:
        """A registered command; refuses an unknown id as Discord does."""
        commands = self.fake.registered_commands.get(scope, [])
        found = next((c for c in commands if c["id"] == command_id), None)
        if found is None:
            raise Refusal(error_response(404, "Unknown application command", 10063))
        return found

    async def get_command(
        self, rec: RecordedRequest, app_id: str, command_id: str, guild_id: str | None = None
    ) -> web.Response:
        scope = self._scope(app_id, guild_id)
        return json_response(self._command(scope, command_id))

    async def edit_command(
        self, rec: RecordedRequest, app_id: str, command_id: str, guild_id: str | None = None
    ) -> web.Response:
        scope = self._scope(app_id, guild_id)
        found = self._command(scope, command_id)
        found.update({k: v for k, v in (rec.body or {}).items() if k not in ("id", "type")})
        found["version"] = str(new_snowflake())
        return json_response(found)

    async def delete_command(
        self, rec: RecordedRequest, app_id: str, command_id: str, guild_id: str | None = None
    ) -> web.Response:
        scope = self._scope(app_id, guild_id)
        self._command(scope, command_id)
        current = self.fake.registered_commands[scope]
        current[:] = [c for c in current if c["id"] != command_id]
        return no_content()

    async def get_command_permissions(
        self, rec: RecordedRequest, app_id: str, guild_id: str
    ) -> web.Response:
        return json_response([])

    # -- interactions ---------------------------------------------------------------------

    async def callback(self, rec: RecordedRequest, interaction_id: str, token: str) -> web.Response:
        answered_at = time.perf_counter()
        fake = self.fake
        inter = fake.interactions.get(token)
        if inter is None or str(inter.id) != interaction_id:
            return error_response(404, "Unknown interaction", 10062)
        if inter.callback is not None:
            return error_response(400, "Interaction has already been acknowledged.", 40060)
        body = rec.body or {}
        ctype = body.get("type")
        if ctype not in _ALLOWED_CALLBACKS.get(inter.type, set()):
            return error_response(
                400,
                f"Invalid Form Body (callback type {ctype} for interaction {inter.type})",
                50035,
            )
        data = body.get("data") or {}
        if rec.files:
            data = {**data, "attachments": self._attachments(rec)}
        inter.callback = {"type": ctype, "data": data}
        inter.answered_at = answered_at
        inter.log.append(("callback", inter.callback))
        if ctype in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE):
            flags = int(data.get("flags") or 0)
            content = data.get("content") or ""
            if ctype == CALLBACK_DEFERRED_MESSAGE:
                flags, content = flags | FLAG_LOADING, ""
            message = self._interaction_message(inter, data, content=content, flags=flags)
            inter.original_id = int(message["id"])
            if ctype == CALLBACK_MESSAGE:
                await fake._echo_message(message)
        elif ctype == CALLBACK_UPDATE_MESSAGE and inter.original_id in fake.messages:
            self._apply_edit(fake.messages[inter.original_id], data)
        return no_content()

    def _interaction_message(
        self, inter: InteractionRecord, data: dict[str, Any], *, content: str, flags: int
    ) -> dict[str, Any]:
        fake = self.fake
        payload = inter.payload
        message = fake._make_message(
            channel_id=int(payload["channel_id"]),
            guild_id=int(payload["guild_id"]) if payload.get("guild_id") else None,
            author=fake.bot_user,
            content=content,
            embeds=data.get("embeds"),
            components=data.get("components"),
            attachments=data.get("attachments"),
            flags=flags,
            message_type=20 if inter.type == 2 else 0,
            webhook_id=fake.app_id,
        )
        message["interaction_metadata"] = {
            "id": str(inter.id),
            "type": inter.type,
            "user": payload["member"]["user"] if "member" in payload else payload["user"],
            "authorizing_integration_owners": {},
        }
        return message

    def _interaction_for(self, app_id: str, token: str) -> InteractionRecord | None:
        inter = self.fake.interactions.get(token)
        if inter is None or int(app_id) != self.fake.app_id or inter.callback is None:
            return None
        return inter

    async def followup(self, rec: RecordedRequest, app_id: str, token: str) -> web.Response:
        fake = self.fake
        inter = self._interaction_for(app_id, token)
        if inter is None:
            return error_response(404, "Unknown Webhook", 10015)
        data = dict(rec.body or {})
        if rec.files:
            data["attachments"] = self._attachments(rec)
        flags = int(data.get("flags") or 0)
        assert inter.callback is not None
        if inter.deferred_result is None and inter.callback_type == CALLBACK_DEFERRED_MESSAGE:
            # the first followup after a deferral replaces the "thinking..." state, and
            # inherits its ephemerality
            flags |= int((inter.callback.get("data") or {}).get("flags") or 0)
        message = self._interaction_message(
            inter, data, content=data.get("content") or "", flags=flags
        )
        inter.followups.append(message)
        inter.log.append(("followup", data))
        if inter.deferred_result is None and inter.callback_type in (
            CALLBACK_DEFERRED_MESSAGE,
            CALLBACK_DEFERRED_UPDATE,
        ):
            inter.deferred_result = message
        await fake._echo_message(message)
        if rec.query.get("wait", "").lower() in ("true", "1"):
            return json_response(message)
        return no_content()

    def _webhook_target(
        self, app_id: str, token: str, message_id: str
    ) -> tuple[InteractionRecord, dict[str, Any]]:
        """The interaction and its (live) message a webhook route names; else Discord's 404."""
        inter = self._interaction_for(app_id, token)
        message = self._webhook_message(inter, message_id) if inter else None
        if inter is None or not message:
            raise Refusal(error_response(404, "Unknown Message", 10008))
        return inter, message

    def _webhook_message(self, inter: InteractionRecord, message_id: str) -> dict[str, Any] | None:
        if message_id == "@original":
            message = self.fake.messages.get(inter.original_id or 0)
        else:
            message = self.fake.messages.get(int(message_id))
            if message not in inter.followups:
                return None
        return None if message is None or message.get("deleted") else message

    async def get_webhook_message(
        self, rec: RecordedRequest, app_id: str, token: str, message_id: str
    ) -> web.Response:
        _inter, message = self._webhook_target(app_id, token, message_id)
        return json_response(message)

    async def edit_webhook_message(
        self, rec: RecordedRequest, app_id: str, token: str, message_id: str
    ) -> web.Response:
        inter, message = self._webhook_target(app_id, token, message_id)
        data = dict(rec.body or {})
        if rec.files:
            data["attachments"] = self._attachments(rec)
        self._apply_edit(message, data)
        inter.log.append(
            ("edit_" + ("original" if message_id == "@original" else "followup"), data)
        )
        if (
            message_id == "@original"
            and inter.deferred_result is None
            and inter.callback_type
            in (
                CALLBACK_DEFERRED_MESSAGE,
                CALLBACK_DEFERRED_UPDATE,
            )
        ):
            inter.deferred_result = message
        return json_response(message)

    async def delete_webhook_message(
        self, rec: RecordedRequest, app_id: str, token: str, message_id: str
    ) -> web.Response:
        inter, message = self._webhook_target(app_id, token, message_id)
        message["deleted"] = True
        inter.log.append(
            ("delete_" + ("original" if message_id == "@original" else "followup"), None)
        )
        return no_content()

    def _apply_edit(self, message: dict[str, Any], data: dict[str, Any]) -> None:
        for key in _EDITABLE:
            if key in data and data[key] is not None:
                message[key] = data[key]
        if "flags" in data and data["flags"] is not None:
            message["flags"] = int(data["flags"]) | (message["flags"] & FLAG_EPHEMERAL)
        message["flags"] &= ~FLAG_LOADING
        message["edited_timestamp"] = iso_now()

    def _attachments(self, rec: RecordedRequest) -> list[dict[str, Any]]:
        result = []
        for f in rec.files:
            attachment_id = new_snowflake()
            url = f"{self.fake.http_base}/attachments/{attachment_id}/{f['filename']}"
            result.append(
                {
                    "id": str(attachment_id),
                    "filename": f["filename"],
                    "size": len(f["content"]),
                    "url": url,
                    "proxy_url": url,
                    "content_type": f.get("content_type"),
                }
            )
        return result

    # -- channels & messages --------------------------------------------------------------

    async def get_channel(self, rec: RecordedRequest, channel_id: str) -> web.Response:
        found = self.fake._find_channel(int(channel_id))
        if found is None:
            return error_response(404, "Unknown Channel", 10003)
        return json_response(found[1].payload())

    async def create_message(self, rec: RecordedRequest, channel_id: str) -> web.Response:
        fake = self.fake
        found = fake._find_channel(int(channel_id))
        if found is None:
            return error_response(404, "Unknown Channel", 10003)
        guild, _ = found
        data = dict(rec.body or {})
        if rec.files:
            data["attachments"] = self._attachments(rec)
        if not (data.get("content") or data.get("embeds") or rec.files or data.get("components")):
            return error_response(400, "Cannot send an empty message", 50006)
        message = fake._make_message(
            channel_id=int(channel_id),
            guild_id=guild.id,
            author=fake.bot_user,
            content=data.get("content") or "",
            member=guild.members.get(fake.bot_user.id),
            embeds=data.get("embeds"),
            components=data.get("components"),
            attachments=data.get("attachments"),
            flags=int(data.get("flags") or 0),
            message_type=19 if data.get("message_reference") else 0,
        )
        fake.channel_messages.append(message)
        await fake._echo_message(message)
        return json_response(message)

    async def get_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> web.Response:
        message = self.fake.messages.get(int(message_id))
        if message is None or message["channel_id"] != channel_id or message.get("deleted"):
            return error_response(404, "Unknown Message", 10008)
        return json_response(message)

    async def edit_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> web.Response:
        message = self.fake.messages.get(int(message_id))
        if message is None or message["channel_id"] != channel_id or message.get("deleted"):
            return error_response(404, "Unknown Message", 10008)
        self._apply_edit(message, dict(rec.body or {}))
        return json_response(message)

    async def delete_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> web.Response:
        message = self.fake.messages.get(int(message_id))
        if message is None or message["channel_id"] != channel_id or message.get("deleted"):
            return error_response(404, "Unknown Message", 10008)
        message["deleted"] = True
        return no_content()

    # -- guilds & members -----------------------------------------------------------------

    def _guild(self, guild_id: str) -> Any:
        guild = self.fake.guilds.get(int(guild_id))
        return guild if guild is not None and guild.joined else None

    async def get_guild(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        guild = self._guild(guild_id)
        if guild is None:
            return error_response(404, "Unknown Guild", 10004)
        data = guild.payload()
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at"):
            data.pop(key, None)
        return json_response(data)

    async def get_guild_channels(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        guild = self._guild(guild_id)
        if guild is None:
            return error_response(404, "Unknown Guild", 10004)
        return json_response([c.payload() for c in guild.channels])

    async def get_guild_roles(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        guild = self._guild(guild_id)
        if guild is None:
            return error_response(404, "Unknown Guild", 10004)
        return json_response([r.payload() for r in guild.roles])

    async def get_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> web.Response:
        guild = self._guild(guild_id)
        member = guild and guild.members.get(int(user_id))
        if not member:
            return error_response(404, "Unknown Member", 10007)
        return json_response(member.payload())

    async def edit_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> web.Response:
        guild = self._guild(guild_id)
        member = guild and guild.members.get(int(user_id))
        if not member:
            return error_response(404, "Unknown Member", 10007)
        body = rec.body or {}
        if "communication_disabled_until" in body:
            member.communication_disabled_until = body["communication_disabled_until"]
        if "nick" in body:
            member.nick = body["nick"]
        if "roles" in body:
            member.roles = [int(r) for r in body["roles"]]
        return json_response(member.payload())

    async def kick_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> web.Response:
        guild = self._guild(guild_id)
        if not guild or guild.members.pop(int(user_id), None) is None:
            return error_response(404, "Unknown Member", 10007)
        return no_content()


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


async def _read_body(request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
    files: list[dict[str, Any]] = []
    if request.content_type.startswith("multipart/"):
        body: Any = None
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.name == "payload_json":  # type: ignore[union-attr]
                body = json.loads(await part.text())  # type: ignore[union-attr]
            else:
                files.append(
                    {
                        "field": part.name,  # type: ignore[union-attr]
                        "filename": part.filename,  # type: ignore[union-attr]
                        "content_type": part.headers.get("Content-Type"),
                        "content": await part.read(),  # type: ignore[union-attr]
                    }
                )
        return body, files
    raw = await request.read()
    if not raw:
        return None, files
    try:
        return json.loads(raw), files
    except ValueError:
        return raw.decode(errors="replace"), files
