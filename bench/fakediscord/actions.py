"""What a user does through the Discord client: slash commands, autocomplete, buttons, modals."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from .bits import effective_permissions
from .interactions import (
    CALLBACK_MODAL,
    FakeDiscordError,
    InteractionRecord,
    OptionEncoder,
    Reply,
    build_reply,
    fill_modal,
)
from .models import FakeGuild, new_snowflake

if TYPE_CHECKING:
    from collections.abc import Callable

    from .gateway import Gateway
    from .models import FakeMember, FakeUser


class InteractionActions:
    """Mixed into FakeDiscord (which provides the state declared below)."""

    if TYPE_CHECKING:
        app_id: int
        bot_user: FakeUser
        gateway: Gateway
        interactions: dict[str, InteractionRecord]
        messages: dict[int, dict[str, Any]]
        registered_commands: dict[int | None, list[dict[str, Any]]]

        def add_member(self, guild_id: int, user_id: int | None = None) -> FakeMember: ...
        def _joined_guild(self, guild_id: int) -> FakeGuild: ...
        async def wait_for(
            self, predicate: Callable[[], bool], what: str, timeout_s: float | None = None
        ) -> None: ...

    async def slash(
        self,
        guild_id: int,
        user_id: int,
        name: str,
        *,
        subcommand: str | None = None,
        options: dict[str, Any] | None = None,
        locale: str = "en-US",
        permissions: int | None = None,
        channel_id: int | None = None,
        timeout_s: float | None = None,
        wait_for_result: bool = True,
    ) -> Reply:
        """Invoke ``/name [subcommand] options`` and wait for what the user would see.

        ``subcommand`` may be "sub" or "group sub". ``permissions`` overrides the member's
        computed permission bitfield. If the bot defers, waits for the edit/followup too
        (unless ``wait_for_result=False``).
        """
        guild = self._joined_guild(guild_id)
        self.add_member(guild.id, user_id)
        command, scope = await self._command_for(guild.id, name, timeout_s)
        perms = self._member_permissions(guild, user_id, permissions)
        required = command.get("default_member_permissions")
        if required is not None and (perms & int(required)) != int(required):
            msg = (
                f"user {user_id} lacks default_member_permissions={required} for /{name}"
                " (Discord would not even show the command)"
            )
            raise FakeDiscordError(msg)
        encoder = OptionEncoder(guild, self.add_member, command)
        data = self._command_data(command, scope, encoder.encode(subcommand, options or {}))
        if resolved := encoder.resolved.payload():
            data["resolved"] = resolved
        record = await self._interact(2, guild, user_id, data, channel_id, locale, perms)
        return await self._reply(record, timeout_s, wait_for_result)

    async def autocomplete(
        self,
        guild_id: int,
        user_id: int,
        name: str,
        *,
        subcommand: str | None = None,
        options: dict[str, Any],
        focused: str | None = None,
        locale: str = "en-US",
        timeout_s: float | None = None,
    ) -> list[dict[str, Any]]:
        """The user types in an autocomplete option; returns the offered choices."""
        guild = self._joined_guild(guild_id)
        self.add_member(guild.id, user_id)
        command, scope = await self._command_for(guild.id, name, timeout_s)
        focused = focused or list(options)[-1]
        encoder = OptionEncoder(guild, self.add_member, command)
        data = self._command_data(command, scope, encoder.encode(subcommand, options, focused))
        perms = self._member_permissions(guild, user_id, None)
        record = await self._interact(4, guild, user_id, data, None, locale, perms)
        reply = await self._reply(record, timeout_s, wait_for_result=True)
        return reply.choices or []

    async def click(
        self,
        guild_id: int,
        user_id: int,
        message: dict[str, Any] | int,
        custom_id: str,
        *,
        values: list[str] | None = None,
        locale: str = "en-US",
        timeout_s: float | None = None,
        wait_for_result: bool = False,
    ) -> Reply:
        """Press a button / pick select values on a message the bot sent."""
        guild = self._joined_guild(guild_id)
        self.add_member(guild.id, user_id)
        msg = self.messages[message if isinstance(message, int) else int(message["id"])]
        component = _find_component(msg.get("components", []), custom_id)
        if component is None:
            err = f"message {msg['id']} has no component {custom_id!r}"
            raise FakeDiscordError(err)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        perms = self._member_permissions(guild, user_id, None)
        record = await self._interact(
            3, guild, user_id, data, int(msg["channel_id"]), locale, perms, message=msg
        )
        return await self._reply(record, timeout_s, wait_for_result)

    async def submit_modal(
        self,
        guild_id: int,
        user_id: int,
        custom_id: str,
        values: dict[str, str],
        *,
        locale: str = "en-US",
        timeout_s: float | None = None,
        wait_for_result: bool = True,
    ) -> Reply:
        """Submit the modal (most recently shown with this custom_id) with text values."""
        guild = self._joined_guild(guild_id)
        shown = [
            r
            for r in self.interactions.values()
            if r.callback_type == CALLBACK_MODAL
            and (r.callback or {}).get("data", {}).get("custom_id") == custom_id
        ]
        source = shown[-1] if shown else None
        modal = source.callback["data"] if source and source.callback else None
        data = {"custom_id": custom_id, "components": fill_modal(modal, values)}
        message = source.payload.get("message") if source else None
        perms = self._member_permissions(guild, user_id, None)
        record = await self._interact(5, guild, user_id, data, None, locale, perms, message=message)
        return await self._reply(record, timeout_s, wait_for_result)

    def _member_permissions(self, guild: FakeGuild, user_id: int, override: int | None) -> int:
        if override is not None:
            return effective_permissions(override)
        return guild.permissions_of(user_id)

    async def _command_for(
        self, guild_id: int, name: str, timeout_s: float | None
    ) -> tuple[dict[str, Any], int | None]:
        def lookup() -> tuple[dict[str, Any], int | None] | None:
            for scope in (guild_id, None):
                for c in self.registered_commands.get(scope, []):
                    if c["name"] == name and c["type"] == 1:
                        return c, scope
            return None

        try:
            await self.wait_for(
                lambda: lookup() is not None, f"/{name} to be registered", timeout_s
            )
        except FakeDiscordError:
            known = sorted(c["name"] for cs in self.registered_commands.values() for c in cs)
            msg = f"/{name} was never registered (registered: {known})"
            raise FakeDiscordError(msg) from None
        found = lookup()
        assert found is not None
        return found

    def _command_data(
        self, command: dict[str, Any], scope: int | None, options: list[dict[str, Any]]
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": options,
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        return data

    async def _interact(
        self,
        itype: int,
        guild: FakeGuild,
        user_id: int,
        data: dict[str, Any],
        channel_id: int | None,
        locale: str,
        perms: int,
        *,
        message: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        member = self.add_member(guild.id, user_id).payload()
        member["permissions"] = str(perms)
        channel = guild.get_channel(channel_id or guild.channel_id)
        if channel is None:
            msg = f"channel {channel_id} is not in guild {guild.id}"
            raise FakeDiscordError(msg)
        interaction_id = new_snowflake()
        token = f"fake-interaction-{secrets.token_urlsafe(24)}"
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": itype,
            "data": data,
            "guild_id": str(guild.id),
            "channel_id": str(channel.id),
            "channel": {**channel.payload(), "permissions": str(perms)},
            "member": member,
            "token": token,
            "version": 1,
            "locale": locale,
            "guild_locale": guild.locale,
            "app_permissions": str(guild.permissions_of(self.bot_user.id)),
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 26_214_400,
        }
        if message is not None:
            payload["message"] = message
        record = InteractionRecord(id=interaction_id, token=token, type=itype, payload=payload)
        if message is not None:
            record.original_id = int(message["id"])
        self.interactions[token] = record
        record.sent_at = time.perf_counter()
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return record

    async def _reply(
        self, record: InteractionRecord, timeout_s: float | None, wait_for_result: bool
    ) -> Reply:
        try:
            await self.wait_for(
                lambda: record.is_complete(wait_for_result),
                f"the bot to answer interaction type {record.type}",
                timeout_s,
            )
        except FakeDiscordError as exc:
            msg = f"{exc} (got so far: {record.log})"
            raise FakeDiscordError(msg) from None
        return build_reply(record, self.messages)


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        found = _find_component(component.get("components", []), custom_id)
        if found is None and "accessory" in component:
            found = _find_component([component["accessory"]], custom_id)
        if found is not None:
            return found
    return None
