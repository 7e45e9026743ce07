"""``guildhall doctor``: what is wrong with this installation, and how to fix each thing.

Read-only: it never migrates or provisions. Errors make the exit status 1; warnings do not.
This module runs the checks (``doctor_checks`` and the ``doctor_*`` modules) in the order
they are shown and renders them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict

import asyncpg
import typer
from rich.table import Table
from rich.text import Text

from app.cli._common import JsonOption, console, print_json, run
from app.cli._data_home import announce_embedded
from app.cli._findings import Finding
from app.cli.doctor_checks import (
    budget_finding,
    schema_findings,
    server_finding,
    token_finding,
    where,
)
from app.cli.doctor_citus import citus_findings
from app.cli.doctor_rights import rights_finding
from app.cli.doctor_settings import env_files_finding
from app.cli.doctor_shards import shards_finding
from app.cli.doctor_verify import verify_findings
from app.postgres import DatabaseServer, open_server
from app.settings import Settings, load_settings

CONNECT_TIMEOUT = 5.0


async def diagnose(settings: Settings) -> list[Finding]:
    """Every finding, in the order they are shown."""
    findings = [env_files_finding(), token_finding(settings), shards_finding(settings)]
    announce_embedded(settings)
    try:
        server = await open_server(settings.database_url, settings.data_dir)
    except Exception as exc:
        findings.append(
            Finding(
                "database",
                "error",
                f"cannot start the embedded PostgreSQL: {exc}",
                "set DATABASE_URL to a PostgreSQL server, or fix DATA_DIR",
            )
        )
        return findings
    try:
        findings.append(server_finding(server))
        findings.extend(await _database_findings(server, settings))
    finally:
        server.stop()
    return findings


async def _database_findings(server: DatabaseServer, settings: Settings) -> list[Finding]:
    """Reachable? Then the schemas, their drift, the connection budget and the login's rights."""
    started = time.perf_counter()
    try:
        conn = await asyncio.wait_for(asyncpg.connect(server.address.dsn), timeout=CONNECT_TIMEOUT)
    except Exception as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else str(exc)
        return [
            Finding(
                "database",
                "error",
                f"cannot connect to {where(server.address)}: {reason}",
                "check DATABASE_URL (host, port, user, password, database) and that "
                "PostgreSQL is running and reachable",
            )
        ]
    try:
        version = await conn.fetchval("SHOW server_version")
        latency = (time.perf_counter() - started) * 1000
        findings = [
            Finding(
                "database", "ok", f"reachable: PostgreSQL {version} ({latency:.0f} ms to connect)"
            )
        ]
        findings.extend(await schema_findings(conn))
        findings.extend(await citus_findings(conn))
        findings.extend(await verify_findings(conn, server.address))
        findings.append(await budget_finding(conn, settings))
        findings.append(await rights_finding(conn))
        return findings
    finally:
        await conn.close()


_STYLE = {"ok": "green", "info": "blue", "warning": "yellow", "error": "red"}


def _print_findings(findings: list[Finding], errors: int, warnings: int) -> None:
    """The findings as a table, then the counts."""
    table = Table("", "check", "finding", "fix")
    for f in findings:
        style = _STYLE[f.level]
        # Folded, never cut: a path or an id in a finding is what the operator copies.
        table.add_row(
            Text(f.level, style=style),
            f.check,
            Text(f.message, overflow="fold"),
            Text(f.fix, overflow="fold"),
        )
    console.print(table)
    console.print(
        f"{errors} error(s), {warnings} warning(s)",
        style="red" if errors else "green",
        highlight=False,
    )


def doctor_command(as_json: JsonOption = False) -> None:
    """Check the database, migrations, connection budget and token; say how to fix each."""
    findings = run(diagnose(load_settings()))
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    if as_json:
        print_json(
            {
                "ok": not errors,
                "errors": errors,
                "warnings": warnings,
                "findings": [asdict(f) for f in findings],
            }
        )
    else:
        _print_findings(findings, errors, warnings)
    if errors:
        raise typer.Exit(1)
