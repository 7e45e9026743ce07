"""The fake's interaction routes: the callback, followups and the webhook messages."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from .bits import FLAG_LOADING
from .interactions import (
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE_MESSAGE,
    InteractionRecord,
)
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

# interaction type -> callback types Discord accepts for it
_ALLOWED_CALLBACKS = {
    2: {CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_MODAL},
    3: {CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE}
    | {CALLBACK_UPDATE_MESSAGE, CALLBACK_MODAL},
    4: {CALLBACK_AUTOCOMPLETE},
    5: {CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE}
    | {CALLBACK_UPDATE_MESSAGE},
}


class InteractionRoutes(RouteGroup):
    """The interaction callback, followups and webhook messages."""

    def interaction_routes(self) -> list[Route]:
        """The interaction callback and the interaction webhook's routes."""
        wh = "/webhooks/{app_id}/{token}"
        return [
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.callback),
            ("POST", wh, self.followup),
            ("GET", wh + "/messages/{message_id}", self.get_webhook_message),
            ("PATCH", wh + "/messages/{message_id}", self.edit_webhook_message),
            ("DELETE", wh + "/messages/{message_id}", self.delete_webhook_message),
        ]

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
            data = {**data, "attachments": attachments(self.fake, rec)}
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
            apply_edit(fake.messages[inter.original_id], data)
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
            data["attachments"] = attachments(self.fake, rec)
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
            data["attachments"] = attachments(self.fake, rec)
        apply_edit(message, data)
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
