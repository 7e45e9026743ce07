"""Log lines carry the guild id: JSON ``guild_id`` and text ``[guild N]`` inside a binding."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from app.log import GuildIdFilter, JsonFormatter, TextFormatter, guild_context, shard_context
from app.tenancy import guild_db


@pytest.fixture
def capture():
    """A logger writing through Guildhall's filter and a formatter the test picks."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(GuildIdFilter())
    logger = logging.getLogger("tests.ops.log")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def use(formatter: logging.Formatter) -> logging.Logger:
        handler.setFormatter(formatter)
        return logger

    try:
        yield use, stream
    finally:
        logger.removeHandler(handler)


async def test_json_line_carries_the_bound_guild_id(capture, provisioned) -> None:
    """Inside guild_db the JSON line has guild_id; outside it is null."""
    use, stream = capture
    logger = use(JsonFormatter())
    guild = await provisioned()
    async with guild_db(guild):
        logger.info("inside")
    logger.info("outside")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["guild_id"] == guild and inside["message"] == "inside"
    assert inside["level"] == "INFO" and inside["logger"] == "tests.ops.log"
    assert outside["guild_id"] is None


async def test_text_line_shows_the_guild(capture, provisioned) -> None:
    """Text lines read `[guild N] message` inside a binding, nothing extra outside."""
    use, stream = capture
    logger = use(TextFormatter())
    guild = await provisioned()
    async with guild_db(guild):
        logger.info("inside")
    logger.info("outside")
    inside, outside = stream.getvalue().splitlines()
    assert inside.endswith(f"tests.ops.log [guild {guild}] inside")
    assert outside.endswith("tests.ops.log outside") and "[guild" not in outside


def test_explicit_guild_id_and_context_tag_lines(capture) -> None:
    """extra={"guild_id": ...} and guild_context(...) tag lines without any binding."""
    use, stream = capture
    logger = use(JsonFormatter())
    logger.info("explicit", extra={"guild_id": 42})
    with guild_context(7):
        logger.info("context")
    explicit, context = (json.loads(line) for line in stream.getvalue().splitlines())
    assert explicit["guild_id"] == 42 and context["guild_id"] == 7


async def test_cli_logs_json_with_guild_ids(cli, tenancy, provisioned) -> None:
    """LOG_FORMAT=json: the CLI's log lines (``-v``: INFO too) are JSON carrying the guild id."""
    guild = await provisioned()
    result = await cli("-v", "tenants", "disable", str(guild), LOG_FORMAT="json")
    assert result.code == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(line["guild_id"] == guild and "disabled" in line["message"] for line in lines)


def test_pool_warnings_lose_their_traceback(capture) -> None:
    """OneLineFilter (on asyncpg's pool logger) keeps message and error, drops the traceback."""
    from app.log import OneLineFilter

    use, stream = capture
    logger = use(TextFormatter())
    one_line = OneLineFilter()
    logger.addFilter(one_line)
    try:
        try:
            raise ConnectionRefusedError("connect call failed")
        except ConnectionRefusedError:
            logger.warning("pool reconnect failed", exc_info=True)
    finally:
        logger.removeFilter(one_line)
    out = stream.getvalue()
    assert "pool reconnect failed (ConnectionRefusedError('connect call failed'))" in out
    assert "Traceback" not in out


async def test_shard_context_tags_lines_and_the_tasks_started_inside(capture) -> None:
    """shard_context(1): text `[shard 1] [guild 7]`, JSON shard_id, inherited by new tasks."""
    use, stream = capture
    logger = use(TextFormatter())
    with shard_context(1):
        with guild_context(7):
            logger.info("both")
        # disnake starts each handler in a task of its own while the shard is set.
        spawned = asyncio.create_task(_log_later(logger))
    await spawned
    logger.info("neither")
    both, later, neither = stream.getvalue().splitlines()
    assert both.endswith("tests.ops.log [shard 1] [guild 7] both")
    assert later.endswith("tests.ops.log [shard 1] later")
    assert neither.endswith("tests.ops.log neither")
    logger = use(JsonFormatter())
    logger.info("explicit", extra={"shard_id": 3})
    assert json.loads(stream.getvalue().splitlines()[-1])["shard_id"] == 3


async def _log_later(logger: logging.Logger) -> None:
    await asyncio.sleep(0)
    logger.info("later")
