"""The fake's application-command routes: global and per-guild commands, as disnake syncs them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .models import new_snowflake
from .rest_base import (
    RecordedRequest,
    Refusal,
    Route,
    RouteGroup,
    error_response,
    json_response,
    no_content,
)


class CommandRoutes(RouteGroup):
    """Application commands, global and per guild."""

    def command_routes(self) -> list[Route]:
        """The application-command routes, global then per guild."""
        cmd = "/applications/{app_id}/commands"
        gcmd = "/applications/{app_id}/guilds/{guild_id}/commands"
        return [
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
        ]

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
