"""Interaction bookkeeping: what the bot answered, and how slash options are encoded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .bits import FLAG_EPHEMERAL
from .models import FakeGuild, FakeMember


class FakeDiscordError(AssertionError):
    """A test used the fake in a way real Discord would not allow (or the bot misbehaved)."""


# Application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)

# Interaction callback types.
CALLBACK_MESSAGE = 4
CALLBACK_DEFERRED_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE = 8
CALLBACK_MODAL = 9


@dataclass
class InteractionRecord:
    """Everything the bot did in response to one interaction we sent."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    callback: dict[str, Any] | None = None
    #: message id behind ``@original`` (the response, or the clicked message for components)
    original_id: int | None = None
    #: the first message the bot produced after a deferral (PATCH @original or a followup)
    deferred_result: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    #: ("callback" | "edit_original" | "delete_original" | "followup" | ..., body) in order
    log: list[tuple[str, Any]] = field(default_factory=list)
    #: ``time.perf_counter()`` when the INTERACTION_CREATE was sent, and when the bot's
    #: interaction callback reached the fake (None until it did)
    sent_at: float = 0.0
    answered_at: float | None = None

    @property
    def round_trip_s(self) -> float | None:
        """Seconds from sending the interaction to receiving the bot's callback."""
        return None if self.answered_at is None else self.answered_at - self.sent_at

    @property
    def callback_type(self) -> int | None:
        return None if self.callback is None else self.callback["type"]

    def is_complete(self, wait_for_result: bool) -> bool:
        if self.callback is None:
            return False
        if self.callback_type == CALLBACK_DEFERRED_MESSAGE or (
            wait_for_result and self.callback_type == CALLBACK_DEFERRED_UPDATE
        ):
            return self.deferred_result is not None
        return True


@dataclass
class Reply:
    """What the invoking user sees after an interaction."""

    callback_type: int
    content: str | None
    embeds: list[dict[str, Any]]
    flags: int
    components: list[dict[str, Any]]
    #: autocomplete choices (callback type 8)
    choices: list[dict[str, Any]] | None
    #: modal definition (callback type 9): custom_id, title, components
    modal: dict[str, Any] | None
    #: the full message payload the user sees, if any
    message: dict[str, Any] | None = field(repr=False)
    interaction: InteractionRecord = field(repr=False)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def deferred(self) -> bool:
        return self.callback_type in (CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE)

    @property
    def embed(self) -> dict[str, Any] | None:
        return self.embeds[0] if self.embeds else None

    @property
    def followups(self) -> list[dict[str, Any]]:
        return self.interaction.followups


def build_reply(record: InteractionRecord, messages: dict[int, dict[str, Any]]) -> Reply:
    assert record.callback is not None
    ctype = record.callback["type"]
    data = record.callback.get("data") or {}
    flags = int(data.get("flags") or 0)
    message: dict[str, Any] | None = None
    if ctype in (CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE):
        message = record.deferred_result  # None if we did not wait for it
    elif ctype in (CALLBACK_MESSAGE, CALLBACK_UPDATE_MESSAGE) and record.original_id:
        message = messages.get(record.original_id)
    if message is not None:
        flags |= int(message.get("flags") or 0)
    source = message if message is not None else data
    return Reply(
        callback_type=ctype,
        content=source.get("content"),
        embeds=list(source.get("embeds") or []),
        flags=flags,
        components=list(source.get("components") or []),
        choices=data.get("choices") if ctype == CALLBACK_AUTOCOMPLETE else None,
        modal=data if ctype == CALLBACK_MODAL else None,
        message=message,
        interaction=record,
    )


@dataclass
class Resolved:
    users: dict[str, Any] = field(default_factory=dict)
    members: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, Any] = field(default_factory=dict)
    channels: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v}


class OptionEncoder:
    """Turns ``{"name": value}`` into Discord's option list, validated against the schema."""

    def __init__(
        self,
        guild: FakeGuild,
        add_member: Callable[[int, int], FakeMember],
        command: dict[str, Any],
    ) -> None:
        self.guild = guild
        self.add_member = add_member  # (guild_id, user_id) -> member; users default to members
        self.command = command
        self.resolved = Resolved()

    def encode(
        self, subcommand: str | None, options: dict[str, Any], focused: str | None = None
    ) -> list[dict[str, Any]]:
        schema: list[dict[str, Any]] = self.command.get("options") or []
        path = subcommand.split() if subcommand else []
        nested = [o for o in schema if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if nested and not path:
            names = [o["name"] for o in nested]
            msg = f"/{self.command['name']} needs a subcommand, one of {names}"
            raise FakeDiscordError(msg)
        if path:
            name, rest = path[0], " ".join(path[1:]) or None
            sub = next((o for o in nested if o["name"] == name), None)
            if sub is None:
                msg = f"/{self.command['name']} has no subcommand {name!r}"
                raise FakeDiscordError(msg)
            inner = OptionEncoder(self.guild, self.add_member, sub)
            inner.resolved = self.resolved
            return [
                {
                    "type": sub["type"],
                    "name": name,
                    "options": inner.encode(rest, options, focused),
                }
            ]
        return self._leaves(schema, options, focused)

    def _leaves(
        self, schema: list[dict[str, Any]], options: dict[str, Any], focused: str | None
    ) -> list[dict[str, Any]]:
        by_name = {o["name"]: o for o in schema}
        unknown = set(options) - set(by_name)
        if unknown:
            msg = (
                f"unknown option(s) {sorted(unknown)} for {self.command['name']!r};"
                f" valid: {sorted(by_name)}"
            )
            raise FakeDiscordError(msg)
        missing = [
            o["name"]
            for o in schema
            if o.get("required") and o["name"] not in options and o["name"] != focused
        ]
        if missing and focused is None:
            msg = f"missing required option(s) {missing} for {self.command['name']!r}"
            raise FakeDiscordError(msg)
        result = []
        for name, value in options.items():
            if name == focused:
                # autocomplete sends whatever the user has typed so far, as typed
                result.append(
                    {"type": by_name[name]["type"], "name": name, "value": value, "focused": True}
                )
            else:
                result.append(self._leaf(by_name[name], value))
        return result

    def _leaf(self, spec: dict[str, Any], value: Any) -> dict[str, Any]:
        otype = spec["type"]
        name = spec["name"]
        if otype in (STRING, INTEGER, NUMBER):
            caster = {STRING: str, INTEGER: int, NUMBER: float}[otype]
            value = caster(value)
            choices = spec.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                msg = f"option {name!r}={value!r} is not one of the choices {choices}"
                raise FakeDiscordError(msg)
            lo = spec.get("min_value" if otype != STRING else "min_length")
            hi = spec.get("max_value" if otype != STRING else "max_length")
            size = len(value) if otype == STRING else value
            if (lo is not None and size < lo) or (hi is not None and size > hi):
                msg = f"option {name!r}={value!r} is outside [{lo}, {hi}]"
                raise FakeDiscordError(msg)
        elif otype == BOOLEAN:
            value = bool(value)
        elif otype == USER or (otype == MENTIONABLE and self.guild.get_role(int(value)) is None):
            member = self.add_member(self.guild.id, int(value))
            self.resolved.users[str(member.user.id)] = member.user.payload()
            mdata = member.payload(with_user=False)
            mdata["permissions"] = str(self.guild.permissions_of(member.user.id))
            self.resolved.members[str(member.user.id)] = mdata
            value = str(member.user.id)
        elif otype in (ROLE, MENTIONABLE):
            role = self.guild.get_role(int(value))
            if role is None:
                msg = f"option {name!r}: role {value} not in guild {self.guild.id}"
                raise FakeDiscordError(msg)
            self.resolved.roles[str(role.id)] = role.payload()
            value = str(role.id)
        elif otype == CHANNEL:
            channel = self.guild.get_channel(int(value))
            if channel is None:
                msg = f"option {name!r}: channel {value} not in guild {self.guild.id}"
                raise FakeDiscordError(msg)
            self.resolved.channels[str(channel.id)] = channel.payload()
            value = str(channel.id)
        else:
            msg = f"option type {otype} ({name!r}) is not supported by the fake"
            raise FakeDiscordError(msg)
        return {"type": otype, "name": name, "value": value}


def fill_modal(modal: dict[str, Any] | None, values: dict[str, str]) -> list[dict[str, Any]]:
    """Mirror a modal's layout (action rows / labels) with the submitted text values."""
    if modal is None:
        return [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in values.items()
        ]

    def fill(component: dict[str, Any]) -> dict[str, Any] | None:
        ctype = component.get("type")
        if ctype == 1:
            inner = [c for c in map(fill, component.get("components", [])) if c is not None]
            return {"type": 1, "components": inner}
        if ctype == 18:  # label wrapping one component
            inner_c = fill(component["component"])
            return None if inner_c is None else {"type": 18, "component": inner_c}
        if ctype == 10:  # text display
            return {"type": 10}
        if ctype == 4:
            cid = component["custom_id"]
            return {"type": 4, "custom_id": cid, "value": values.get(cid, "")}
        return None

    unknown = set(values) - _custom_ids(modal.get("components", []))
    if unknown:
        msg = f"modal {modal.get('custom_id')!r} has no inputs {sorted(unknown)}"
        raise FakeDiscordError(msg)
    return [c for c in map(fill, modal.get("components", [])) if c is not None]


def _custom_ids(components: list[dict[str, Any]]) -> set[str]:
    ids: set[str] = set()
    for c in components:
        if "custom_id" in c:
            ids.add(c["custom_id"])
        ids |= _custom_ids(c.get("components", []))
        if "component" in c:
            ids |= _custom_ids([c["component"]])
    return ids
