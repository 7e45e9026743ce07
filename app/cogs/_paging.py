"""Paging a long answer with buttons: "◀" and "▶" around a "page n/m" label.

The buttons are stateless: their ``custom_id`` carries what the page shows
(``gh:<kind>:<page>[:<argument>]``), so a click works with any bot process, even after a
restart, and always shows the data as it is now (a page past the end shows the last one).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import disnake

from app.cogs._common import AnyInter, ClickInter, tr

PREFIX = "gh"


@dataclass(frozen=True)
class PageRequest:
    """A click on a paging button: which list, which page, and the list's argument."""

    kind: str
    page: int
    argument: int | None


def page_count(total: int, size: int) -> int:
    """How many pages ``total`` items take (at least one)."""
    return max(1, -(-total // size))


def clamp(page: int, total: int, size: int) -> int:
    """``page`` moved into the pages that exist now."""
    return min(max(page, 0), page_count(total, size) - 1)


def custom_id(kind: str, page: int, argument: int | None = None) -> str:
    """The ``custom_id`` of a button that shows ``page`` of ``kind``."""
    tail = "" if argument is None else f":{argument}"
    return f"{PREFIX}:{kind}:{page}{tail}"


def parse(value: str, kind: str) -> PageRequest | None:
    """The page a button of ``kind`` asks for, or None if the button is not one of them."""
    parts = value.split(":")
    if len(parts) not in (3, 4) or parts[0] != PREFIX or parts[1] != kind:
        return None
    if not all(p.lstrip("-").isdigit() for p in parts[2:]):
        return None
    argument = int(parts[3]) if len(parts) == 4 else None
    return PageRequest(kind, int(parts[2]), argument)


def buttons(
    inter: AnyInter, kind: str, page: int, pages: int, argument: int | None = None
) -> list[disnake.ui.Button[None]]:
    """The row of paging buttons (none when everything fits on one page)."""
    if pages <= 1:
        return []
    return [
        disnake.ui.Button(
            label="◀", custom_id=custom_id(kind, page - 1, argument), disabled=page <= 0
        ),
        disnake.ui.Button(
            label=tr(inter, "paging.label", page=page + 1, pages=pages),
            custom_id=custom_id(kind, -1000, argument),  # a label, never clickable
            disabled=True,
        ),
        disnake.ui.Button(
            label="▶", custom_id=custom_id(kind, page + 1, argument), disabled=page >= pages - 1
        ),
    ]


Render = Callable[[ClickInter, int, int], Awaitable[dict[str, Any]]]


async def turn(inter: ClickInter, kind: str, render: Render) -> None:
    """If ``inter`` is a click on a paging button of ``kind``, show the page it asks for in
    place: ``render(inter, guild_id, page)`` gives the message."""
    request = parse(inter.data.custom_id, kind)
    if request is None or inter.guild_id is None:
        return
    await inter.response.edit_message(**await render(inter, inter.guild_id, request.page))
