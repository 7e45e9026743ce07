"""``guildhall doctor`` on a Citus coordinator: the nodes, where the guild schemas live, and
what keeps the cluster from working as README's "Scale-out on Citus" describes.

Says nothing on plain PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from app.cli._findings import Finding
from app.tenancy import CitusLayout, citus_layout


async def citus_findings(conn: Any) -> list[Finding]:
    """The cluster's layout as findings (none without Citus)."""
    layout = await citus_layout(conn)
    if layout is None:
        return []
    findings = [_nodes(layout), _placement(layout)]
    findings += [Finding("citus", "warning", message, fix) for message, fix in layout.problems]
    return findings


def _nodes(layout: CitusLayout) -> Finding:
    nodes = ", ".join(
        f"{n.address} ({'coordinator' if n.group == 0 else 'worker'}"
        f"{'' if n.active else ', inactive'})"
        for n in layout.nodes
    )
    return Finding(
        "citus",
        "info",
        f"Citus coordinator; nodes: {nodes or 'none'}; "
        f"citus.enable_schema_based_sharding = {layout.sharding}; registry "
        + ("distributed (on a worker)" if layout.shared_distributed else "on the coordinator"),
    )


def _placement(layout: CitusLayout) -> Finding:
    per_node = ", ".join(f"{node}: {count}" for node, count in layout.guild_schemas.items())
    local = len(layout.not_distributed)
    return Finding(
        "citus",
        "ok" if not local else "info",
        f"distributed guild schemas per node: {per_node or 'none'}; "
        f"guild schemas not distributed: {local}",
    )
