"""``guildhall doctor``'s fast form of ``guildhall db verify``: counts, not details."""

from __future__ import annotations

from typing import Any

from app.cli._findings import Finding
from app.tenancy import NoRegistry, ServerAddress, tenant_head_ddl, verify_schemas

VERIFY = "guildhall db verify"


async def verify_findings(conn: Any, address: ServerAddress) -> list[Finding]:
    """Do the guild schemas match their recorded versions; anything orphaned or left over?

    Registered guilds without a schema are left out: the schema check already counts them.
    """
    try:
        report = await verify_schemas(conn, ddl=await tenant_head_ddl(address), details=False)
    except NoRegistry:
        return []  # a fresh database: the shared schema finding says what to do
    findings = []
    if report.drifted:
        findings.append(
            Finding(
                "schema drift",
                "error",
                f"{len(report.drifted)} of {report.checked} schema(s) differ from what their "
                "recorded migration version should have",
                f"run `{VERIFY}` to see each difference",
            )
        )
    else:
        findings.append(
            Finding(
                "schema drift",
                "ok",
                f"{report.checked} schema(s) match their recorded versions "
                f"({report.seconds:.1f} s)",
            )
        )
    strays = len(report.unregistered_schemas)
    leftovers = len(report.leftover_spares) + len(report.leftover_scratch)
    if strays or leftovers:
        findings.append(
            Finding(
                "schema drift",
                "warning",
                f"{strays} guild schema(s) without registry row, {leftovers} leftover spare or "
                "scratch schema(s)",
                f"run `{VERIFY}` to name them",
            )
        )
    return findings
