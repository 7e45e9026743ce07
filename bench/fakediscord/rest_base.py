"""What the fake's REST routes share: the recorded request, Discord-style answers, message
edits and uploaded files."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .bits import FLAG_EPHEMERAL, FLAG_LOADING
from .models import iso_now, new_snowflake

if TYPE_CHECKING:
    from .server import FakeDiscord

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
    """A JSON answer as Discord sends it."""
    # disnake only parses bodies whose Content-Type is *exactly* "application/json";
    # web.json_response appends "; charset=utf-8" and breaks login.
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json"},
    )


def error_response(status: int, message: str, code: int = 0) -> web.Response:
    """A Discord error: ``{"message", "code"}`` with the HTTP status."""
    return json_response({"message": message, "code": code}, status=status)


def no_content() -> web.Response:
    """204, as Discord answers a change with nothing to return."""
    return web.Response(status=204)


Handler = Callable[..., Awaitable[web.Response]]
#: A route: method, path template below the API prefix, handler.
Route = tuple[str, str, Handler]


class RouteGroup:
    """Routes of one resource, mixed into :class:`~.rest.RestAPI` (which sets ``fake``)."""

    fake: FakeDiscord


def apply_edit(message: dict[str, Any], data: dict[str, Any]) -> None:
    """Apply an edit's fields to a stored message (ephemerality is kept; loading ends)."""
    for key in _EDITABLE:
        if key in data and data[key] is not None:
            message[key] = data[key]
    if "flags" in data and data["flags"] is not None:
        message["flags"] = int(data["flags"]) | (message["flags"] & FLAG_EPHEMERAL)
    message["flags"] &= ~FLAG_LOADING
    message["edited_timestamp"] = iso_now()


def attachments(fake: FakeDiscord, rec: RecordedRequest) -> list[dict[str, Any]]:
    """The request's uploaded files as Discord's attachment objects, served by the fake."""
    result = []
    for f in rec.files:
        attachment_id = new_snowflake()
        url = f"{fake.http_base}/attachments/{attachment_id}/{f['filename']}"
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


def compile_route(template: str) -> re.Pattern[str]:
    """The regular expression of a path template (``{name}`` matches one segment)."""
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


async def read_body(request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
    """The JSON body (or a multipart body's ``payload_json``) and the uploaded files."""
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
