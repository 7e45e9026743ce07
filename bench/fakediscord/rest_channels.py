"""The fake's channel, message, guild and member routes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .rest_base import (
    RecordedRequest,
    Refusal,
    Route,
    RouteGroup,
    apply_edit,
    attachments,
    error_response,
    json_response,
    no_content,
)


class ChannelRoutes(RouteGroup):
    """Channels and messages, guilds and members."""

    def channel_routes(self) -> list[Route]:
        """Channels and their messages, then guilds, members and bans."""
        msgs = "/channels/{channel_id}/messages"
        return [
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

    async def ok_no_content(self, rec: RecordedRequest, **_: str) -> web.Response:
        """A route whose effect the fake does not model (reactions, typing, bans)."""
        return no_content()

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
            data["attachments"] = attachments(self.fake, rec)
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

    def _message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        """A live message of the channel; else Discord's 404."""
        message = self.fake.messages.get(int(message_id))
        if message is None or message["channel_id"] != channel_id or message.get("deleted"):
            raise Refusal(error_response(404, "Unknown Message", 10008))
        return message

    async def get_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> web.Response:
        message = self._message(channel_id, message_id)
        return json_response(message)

    async def edit_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> web.Response:
        message = self._message(channel_id, message_id)
        apply_edit(message, dict(rec.body or {}))
        return json_response(message)

    async def delete_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> web.Response:
        message = self._message(channel_id, message_id)
        message["deleted"] = True
        return no_content()

    # -- guilds & members -----------------------------------------------------------------

    def _guild(self, guild_id: str) -> Any:
        """The guild if the bot is in it, else None."""
        guild = self.fake.guilds.get(int(guild_id))
        return guild if guild is not None and guild.joined else None

    def _joined(self, guild_id: str) -> Any:
        """The guild if the bot is in it; else Discord's 404."""
        guild = self._guild(guild_id)
        if guild is None:
            raise Refusal(error_response(404, "Unknown Guild", 10004))
        return guild

    def _member(self, guild_id: str, user_id: str) -> Any:
        """A member of a guild the bot is in; else Discord's 404."""
        guild = self._guild(guild_id)
        member = guild and guild.members.get(int(user_id))
        if not member:
            raise Refusal(error_response(404, "Unknown Member", 10007))
        return member

    async def get_guild(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        guild = self._joined(guild_id)
        data = guild.payload()
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at"):
            data.pop(key, None)
        return json_response(data)

    async def get_guild_channels(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        guild = self._joined(guild_id)
        return json_response([c.payload() for c in guild.channels])

    async def get_guild_roles(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        guild = self._joined(guild_id)
        return json_response([r.payload() for r in guild.roles])

    async def get_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> web.Response:
        member = self._member(guild_id, user_id)
        return json_response(member.payload())

    async def edit_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> web.Response:
        member = self._member(guild_id, user_id)
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
