"""GatewayFilter: checks on raw events before disnake's parser, drops counted by reason."""

from __future__ import annotations

from typing import Any

from app.bot.gateway import GatewayFilter


def _parsers() -> tuple[dict[str, Any], list[Any]]:
    parsed: list[Any] = []
    return {"MESSAGE_CREATE": parsed.append, "GUILD_CREATE": parsed.append}, parsed


def test_an_event_a_check_drops_is_never_parsed_and_is_counted_by_reason() -> None:
    """The first check naming a reason wins; the others do not run; other events pass."""
    parsers, parsed = _parsers()
    told: list[tuple[str, str]] = []
    gateway = GatewayFilter(parsers, lambda event, reason: told.append((event, reason)))
    ran: list[str] = []

    def bots(data: dict[str, Any]) -> str | None:
        ran.append("bots")
        return "bot" if data.get("bot") else None

    def budget(data: dict[str, Any]) -> str | None:
        ran.append("budget")
        return "xp_budget" if data["n"] > 2 else None

    gateway.add("MESSAGE_CREATE", bots)
    gateway.add("MESSAGE_CREATE", budget)
    for payload in ({"n": 1}, {"n": 2, "bot": True}, {"n": 3}):
        parsers["MESSAGE_CREATE"](payload)
    parsers["GUILD_CREATE"]({"n": 9})
    assert parsed == [{"n": 1}, {"n": 9}]
    assert ran == ["bots", "budget", "bots", "bots", "budget"]
    assert told == [("MESSAGE_CREATE", "bot"), ("MESSAGE_CREATE", "xp_budget")]
    assert gateway.dropped == {("MESSAGE_CREATE", "bot"): 1, ("MESSAGE_CREATE", "xp_budget"): 1}


def test_removing_the_last_check_puts_disnakes_parser_back() -> None:
    """With no checks left the dict holds the original parser again (no wrapper cost)."""
    parsers, parsed = _parsers()
    original = parsers["MESSAGE_CREATE"]
    gateway = GatewayFilter(parsers)

    def drop_all(_: dict[str, Any]) -> str:
        return "all"

    gateway.add("MESSAGE_CREATE", drop_all)
    assert parsers["MESSAGE_CREATE"] is not original
    parsers["MESSAGE_CREATE"]({"n": 1})
    gateway.remove("MESSAGE_CREATE", drop_all)
    assert parsers["MESSAGE_CREATE"] is original
    parsers["MESSAGE_CREATE"]({"n": 2})
    assert parsed == [{"n": 2}]
    assert gateway.dropped == {("MESSAGE_CREATE", "all"): 1}
