"""Make swallowed bot errors visible to tests.

disnake reports most failures without raising into the test:

* exceptions in event listeners, slash commands, views and gateway event *parsers*
  (malformed payloads) are ``print``-ed to ``sys.stderr`` as "Ignoring exception in ..."
  followed by a traceback (``Client.on_error``, ``on_gateway_error``,
  ``on_slash_command_error``, ``View.on_error``) -- not logged;
* other problems go to the ``disnake`` logger (``_log.exception`` / ``_log.error``).

:func:`collect_bot_errors` captures both, so a test can ``errors.assert_clean()``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import disnake
from disnake.ext.commands.bot_base import BotBase
from disnake.ext.commands.interaction_bot_base import InteractionBotBase


class _Tee(io.TextIOBase):
    """Forwards to the real stderr and keeps a copy of everything written."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self.text = ""

    def write(self, s: str) -> int:
        self.text += s
        return self._target.write(s)

    def flush(self) -> None:
        self._target.flush()


class _Handler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.ERROR)
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        text = f"[{record.name}] {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f"\n{type(exc).__name__}: {exc}"
        self._sink.append(text)


# The default handlers that print "Ignoring exception ..." to stderr. They are wrapped at
# class level (so bots created inside the context are covered) and only the text they
# actually print is recorded -- a bot that handles its own errors stays clean.
_PRINTING_HANDLERS: list[tuple[type, str]] = [
    (disnake.Client, "on_error"),
    (disnake.Client, "on_gateway_error"),
    (InteractionBotBase, "on_slash_command_error"),
    (InteractionBotBase, "on_user_command_error"),
    (InteractionBotBase, "on_message_command_error"),
    (BotBase, "on_command_error"),
    (disnake.ui.View, "on_error"),
    (disnake.ui.Modal, "on_error"),
]


def _recording(original: Callable[..., Any], sink: list[str]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        tee = _Tee(sys.stderr)
        # the defaults print synchronously (no await in between), so swapping stderr is safe
        with contextlib.redirect_stderr(tee):
            result = await original(*args, **kwargs)
        if tee.text:
            sink.append(tee.text)
        return result

    return wrapper


class BotErrorCollector:
    """Errors the bot swallowed: disnake's "Ignoring exception" reports and ERROR logs."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def assert_clean(self) -> None:
        assert not self.errors, "the bot reported errors:\n" + "\n---\n".join(self.errors)


@contextlib.contextmanager
def collect_bot_errors(*loggers: str) -> Iterator[BotErrorCollector]:
    """``with collect_bot_errors() as errors: ...; errors.assert_clean()``.

    Extra logger names (e.g. your bot's package) may be passed; "disnake" is always watched.
    """
    collector = BotErrorCollector()
    handler = _Handler(collector.errors)
    watched = [logging.getLogger(name) for name in ("disnake", *loggers)]
    for logger in watched:
        logger.addHandler(handler)
    originals = [(cls, name, cls.__dict__[name]) for cls, name in _PRINTING_HANDLERS]
    for cls, name, original in originals:
        setattr(cls, name, _recording(original, collector.errors))
    try:
        yield collector
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)
        for logger in watched:
            logger.removeHandler(handler)
