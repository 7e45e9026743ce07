"""The REST half of the fake: a small route table, request recording, Discord-style errors.

The routes live with their resource: ``rest_commands`` (application commands),
``rest_interactions`` (callbacks, followups, webhook messages), ``rest_channels`` (channels,
messages, guilds, members) and ``roles`` (member roles); ``rest_base`` holds what they share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .rest_base import (
    RecordedRequest,
    Refusal,
    Route,
    compile_route,
    error_response,
    json_response,
    no_content,
    read_body,
)
from .rest_channels import ChannelRoutes
from .rest_commands import CommandRoutes
from .rest_interactions import InteractionRoutes
from .roles import role_routes

if TYPE_CHECKING:
    import re

    from .rest_base import Handler
    from .server import FakeDiscord

__all__ = ["RecordedRequest", "RestAPI"]


class RestAPI(CommandRoutes, InteractionRoutes, ChannelRoutes):
    """The route table over the fake's state; every request is recorded."""

    PREFIX = "/api/v10"

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        table: list[Route] = [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/users/@me", self.get_me),
            ("DELETE", "/users/@me/guilds/{guild_id}", self.leave_guild),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            *self.command_routes(),
            *self.interaction_routes(),
            *self.channel_routes(),
            *role_routes(self),
        ]
        for method, template, handler in table:
            self.routes.append((method, compile_route(template), f"{method} {template}", handler))

    # -- plumbing -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request, route it (the bot's token required), record the answer."""
        fake = self.fake
        path = request.path
        if path.startswith(self.PREFIX):
            path = path[len(self.PREFIX) :]
        body, files = await read_body(request)
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
