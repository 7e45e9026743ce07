"""``guildhall run`` (``python -m app run``) as a child process of a story.

The child reads its settings from the environment only (its working directory is an empty
temporary one, so no developer ``.env`` applies). Its output goes to a file the story can read
at any time; whatever happens in the story, the child is killed on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.world import NO_COOLDOWNS

REPO = Path(__file__).resolve().parents[2]
#: Start-up includes importing disnake and Tortoise in a fresh interpreter (seconds on a
#: loaded machine); stopping closes the gateway, the pools and the HTTP session.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
#: Environment variables that configure Guildhall; a child gets only the ones a story sets.
SETTING_PREFIXES = (
    "DISCORD_",
    "DATABASE_URL",
    "OWNER_IDS",
    "DATA_DIR",
    "LOG_",
    "TENANT_",
    "HEALTH_",
    "SHARD_",
    "PROCESS_COUNT",
    "COOLDOWN_",
    "GUILD_",
    "XP_",
)


def guildhall_env(**values: str) -> dict[str, str]:
    """The environment of a ``guildhall`` child: ours minus every Guildhall setting, plus
    ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(SETTING_PREFIXES)}
    env["PYTHONPATH"] = str(REPO)
    # Command cooldowns off, as in tests.e2e.world.make_settings: stories type fast.
    env.update({name.upper(): "0" for name in NO_COOLDOWNS})
    env.update(values)
    return env


@dataclass
class GuildhallProcess:
    """A running ``guildhall run`` and the file its stdout and stderr go to."""

    proc: asyncio.subprocess.Process
    log_path: Path

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(errors="replace")

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig`` and wait (bounded) for the exit code."""
        self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT_S)

    async def kill(self) -> None:
        """Kill the process if it still runs (a failed story leaves no child behind)."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT_S)


@contextlib.asynccontextmanager
async def guildhall_run(env: dict[str, str], workdir: Path) -> AsyncIterator[GuildhallProcess]:
    """Start ``python -m app run`` in ``workdir`` with ``env``; kill it when the block ends."""
    log_path = workdir / "guildhall.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app",
            "run",
            env=env,
            cwd=workdir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    child = GuildhallProcess(proc, log_path)
    try:
        yield child
    finally:
        await child.kill()


#: Lines of ``LOG_FORMAT=text`` output start with ``<date> <time> <LEVEL> <logger> ``.
RECORD_START = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<level>[A-Z]+) (?P<logger>\S+) "
)
#: Reports of libraries, not of the bot, that may carry a traceback while the database is down:
#: asyncpg (0.32) re-opens every pool's ``min_size`` connections in the background and logs
#: each failed attempt at WARNING with its traceback.
TOLERATED_TRACEBACKS = (("asyncpg.pool", "Failed to restore the pool connection floor"),)


@dataclass(frozen=True)
class LogRecord:
    """One log record of the child: its level, logger and full text (traceback included)."""

    level: str
    logger: str
    text: str

    @property
    def has_traceback(self) -> bool:
        """Whether a traceback was printed with (or right after) this record."""
        return "Traceback (most recent call last)" in self.text

    @property
    def tolerated(self) -> bool:
        """A library's WARNING whose traceback is known noise during an outage."""
        return self.level == "WARNING" and any(
            self.logger == logger and message in self.text
            for logger, message in TOLERATED_TRACEBACKS
        )


def log_records(output: str) -> list[LogRecord]:
    """The child's output split into log records; stray lines before the first record form a
    record of their own with no level."""
    records: list[LogRecord] = []
    level = logger = ""
    lines: list[str] = []
    for line in output.splitlines():
        match = RECORD_START.match(line)
        if match:
            if lines and (level or "".join(lines).strip()):
                records.append(LogRecord(level, logger, "\n".join(lines)))
            level, logger, lines = match["level"], match["logger"], [line]
        else:
            lines.append(line)
    if lines and (level or "".join(lines).strip()):
        records.append(LogRecord(level, logger, "\n".join(lines)))
    return records


def assert_no_bot_errors(output: str) -> None:
    """Nothing went wrong in the bot: no ERROR or CRITICAL record, no exception disnake
    swallowed ("Ignoring exception…"), no traceback but the tolerated library ones, no output
    outside log records."""
    trouble = [
        record
        for record in log_records(output)
        if record.level in ("", "ERROR", "CRITICAL")
        or "Ignoring exception" in record.text
        or (record.has_traceback and not record.tolerated)
    ]
    assert not trouble, "the bot reported errors:\n" + "\n---\n".join(r.text for r in trouble)


def assert_stopped_cleanly(code: int, output: str) -> None:
    """Exit 0 after closing everything, and nothing but INFO and WARNING lines without a
    traceback from the stop signal on."""
    assert code == 0, output
    assert "stop signal received" in output, output
    assert output.rstrip().endswith("stopped cleanly"), output
    records = log_records(output)
    stop = next(i for i, r in enumerate(records) if "stop signal received" in r.text)
    noisy = [r for r in records[stop:] if r.level not in ("INFO", "WARNING") or r.has_traceback]
    assert not noisy, "the shutdown was not clean:\n" + "\n---\n".join(r.text for r in noisy)
    assert "Unclosed" not in output, output
