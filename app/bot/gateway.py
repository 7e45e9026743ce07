"""Gateway events dropped before disnake parses them: a flood's excess costs almost nothing.

disnake turns every ``MESSAGE_CREATE`` into a :class:`disnake.Message` (author, member and
channel objects) and hands it to each listener in a task of its own before any listener can
say it wants none of it. Under a raid that work is done for every message, even the ones the
XP budget then throws away. :class:`GatewayFilter` wraps the connection state's parser of an
event (docs/library-behaviour.md, "disnake: gateway parsers"): checks see the raw payload (the
dict decoded from the gateway's JSON) and may name a reason to drop it; a dropped event goes
no further (no object, no task, no cache update) and is counted per event and reason.

A check must be cheap and must not raise (it runs inside the gateway's read loop); an event
no check drops is parsed exactly as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

#: A raw event's payload -> the reason to drop it, or None to let disnake parse it.
RawCheck = Callable[[dict[str, Any]], str | None]
#: Told of every drop: (event, reason).
DropListener = Callable[[str, str], None]
Parser = Callable[[Any], None]


class GatewayFilter:
    """Checks run on raw gateway events, per event name, before disnake's parser."""

    def __init__(self, parsers: dict[str, Parser], on_drop: DropListener | None = None) -> None:
        # The connection state's own dict: every shard's socket reads this one object.
        self._parsers = parsers
        self._on_drop = on_drop
        self._checks: dict[str, list[RawCheck]] = {}
        self._originals: dict[str, Parser] = {}
        #: (event, reason) -> events dropped.
        self.dropped: Counter[tuple[str, str]] = Counter()

    def add(self, event: str, check: RawCheck) -> None:
        """Run ``check`` on every raw ``event`` (e.g. "MESSAGE_CREATE") before it is parsed."""
        checks = self._checks.setdefault(event, [])
        if not checks:
            original = self._parsers[event]  # KeyError: disnake has no parser of that name
            self._originals[event] = original
            self._parsers[event] = self._filtered(event, checks, original)
        checks.append(check)

    def remove(self, event: str, check: RawCheck) -> None:
        """Stop running ``check``; with no checks left the event goes straight to disnake."""
        checks = self._checks.get(event, [])
        if check in checks:
            checks.remove(check)
        if not checks and event in self._originals:
            self._parsers[event] = self._originals.pop(event)
            self._checks.pop(event, None)

    def _filtered(self, event: str, checks: list[RawCheck], parse: Parser) -> Parser:
        def filtered(data: Any) -> None:
            for check in checks:
                reason = check(data)
                if reason is not None:
                    self._drop(event, reason)
                    return
            parse(data)

        return filtered

    def _drop(self, event: str, reason: str) -> None:
        self.dropped[(event, reason)] += 1
        if self._on_drop is not None:
            self._on_drop(event, reason)
