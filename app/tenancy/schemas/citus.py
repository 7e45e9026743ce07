"""What a Citus coordinator holds: its nodes, where the guild schemas live, and the registry.

With Citus schema-based sharding (``citus.enable_schema_based_sharding = on``) every new
``guild_<id>`` schema becomes a distributed schema: all its tables live together on one worker
and can be moved with ``citus_schema_move``. The shared schema (the registry) is kept a plain
schema of the coordinator (:data:`app.tenancy.migrations.applier.KEEP_ON_COORDINATOR`). On
plain PostgreSQL :func:`citus_layout` answers None and nothing here touches Citus' catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.tenancy.migrations.ddl import fetch_rows
from app.tenancy.naming import SCHEMA_PATTERN, SHARED_SCHEMA, database_tag

IS_CITUS = "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS citus"

_NODES = """SELECT nodename, nodeport, noderole::text AS role, isactive, groupid
            FROM pg_dist_node ORDER BY groupid, nodename, nodeport"""

# A distributed schema's tables are co-located: any shard placement of any of its tables
# names its node.
_SCHEMAS_PER_NODE = """
SELECT nd.nodename, nd.nodeport, count(DISTINCT ds.schemaid) AS schemas
FROM pg_dist_schema ds
JOIN pg_namespace ns ON ns.oid = ds.schemaid
JOIN pg_class c ON c.relnamespace = ds.schemaid
JOIN pg_dist_partition p ON p.logicalrelid = c.oid
JOIN pg_dist_shard sh ON sh.logicalrelid = c.oid
JOIN pg_dist_placement pl ON pl.shardid = sh.shardid
JOIN pg_dist_node nd ON nd.groupid = pl.groupid
WHERE ns.nspname ~ $1
GROUP BY nd.nodename, nd.nodeport
ORDER BY nd.nodename, nd.nodeport
"""

_NOT_DISTRIBUTED = """
SELECT ns.nspname FROM pg_namespace ns
WHERE ns.nspname ~ $1 AND ns.oid NOT IN (SELECT schemaid FROM pg_dist_schema)
ORDER BY ns.nspname
"""

_SETTING_AND_REGISTRY = """
SELECT current_setting('citus.enable_schema_based_sharding') AS sharding,
       current_database() AS database,
       EXISTS (SELECT FROM pg_dist_schema WHERE schemaid = to_regnamespace($1))
           AS shared_distributed
"""


# Citus reaches the workers as the current role: a guild role made NOLOGIN (before the
# database moved to Citus) cannot run its guild's queries there.
_ROLES_WITHOUT_LOGIN = """
SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) AND NOT rolcanlogin ORDER BY rolname
"""


@dataclass(frozen=True)
class CitusNode:
    """One node of the cluster as the coordinator's metadata lists it."""

    name: str
    port: int
    role: str
    active: bool
    group: int

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.name}:{self.port}"


@dataclass
class CitusLayout:
    """Where things live on a Citus coordinator."""

    nodes: list[CitusNode]
    #: ``host:port`` → distributed guild schemas with their tables on that node.
    guild_schemas: dict[str, int]
    #: Guild schemas that are not distributed (made before sharding was on, or with it off).
    not_distributed: list[str]
    #: ``citus.enable_schema_based_sharding`` as this connection sees it ("on" / "off").
    sharding: str
    #: The registry's schema became a distributed schema (it should stay on the coordinator).
    shared_distributed: bool = False
    #: This database's guild roles that may not log in (so cannot reach the workers).
    roles_without_login: list[str] = field(default_factory=list)
    #: (what is wrong, how to fix it).
    problems: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The layout as ``guildhall doctor --json`` prints it."""
        return {
            "nodes": [
                {"node": n.address, "role": n.role, "active": n.active, "group": n.group}
                for n in self.nodes
            ],
            "guild_schemas_per_node": self.guild_schemas,
            "guild_schemas_not_distributed": len(self.not_distributed),
            "schema_based_sharding": self.sharding,
            "shared_schema_distributed": self.shared_distributed,
            "guild_roles_without_login": len(self.roles_without_login),
            "problems": [{"problem": p, "fix": f} for p, f in self.problems],
        }


async def is_citus(conn: Any) -> bool:
    """Whether the database ``conn`` is connected to has the Citus extension."""
    return bool((await fetch_rows(conn, IS_CITUS))[0]["citus"])


async def citus_layout(conn: Any) -> CitusLayout | None:
    """The cluster as the coordinator sees it, with what is wrong; None without Citus."""
    if not await is_citus(conn):
        return None
    pattern = SCHEMA_PATTERN.pattern
    nodes = [
        CitusNode(r["nodename"], int(r["nodeport"]), r["role"], bool(r["isactive"]), r["groupid"])
        for r in await fetch_rows(conn, _NODES)
    ]
    per_node = {
        f"{r['nodename']}:{r['nodeport']}": int(r["schemas"])
        for r in await fetch_rows(conn, _SCHEMAS_PER_NODE, pattern)
    }
    local = [r["nspname"] for r in await fetch_rows(conn, _NOT_DISTRIBUTED, pattern)]
    state = (await fetch_rows(conn, _SETTING_AND_REGISTRY, SHARED_SCHEMA))[0]
    prefix = f"gh_{database_tag(str(state['database']))}_"
    layout = CitusLayout(
        nodes,
        per_node,
        local,
        str(state["sharding"]),
        bool(state["shared_distributed"]),
        [r["rolname"] for r in await fetch_rows(conn, _ROLES_WITHOUT_LOGIN, prefix)],
    )
    layout.problems = _problems(layout)
    return layout


def _problems(layout: CitusLayout) -> list[tuple[str, str]]:
    problems = []
    if layout.sharding != "on":
        problems.append(
            (
                "citus.enable_schema_based_sharding is off: new guild schemas stay on the "
                "coordinator",
                "ALTER DATABASE <database> SET citus.enable_schema_based_sharding = on",
            )
        )
    if layout.not_distributed:
        problems.append(
            (
                f"{len(layout.not_distributed)} guild schema(s) are not distributed "
                f"(e.g. {layout.not_distributed[0]})",
                "SELECT citus_schema_distribute('<schema>') for each",
            )
        )
    if layout.shared_distributed:
        problems.append(
            (
                "the shared schema (registry) is a distributed schema on a worker: every registry "
                "query leaves the coordinator",
                "SELECT citus_schema_undistribute('shared')",
            )
        )
    if layout.roles_without_login:
        problems.append(
            (
                f"{len(layout.roles_without_login)} guild role(s) may not log in, so their "
                f"guilds' queries cannot reach the workers (e.g. {layout.roles_without_login[0]})",
                'ALTER ROLE <role> LOGIN for each (README, "Scale-out on Citus")',
            )
        )
    if not any(node.role == "primary" and node.group != 0 for node in layout.nodes):
        problems.append(("no worker node", "SELECT citus_add_node('<host>', <port>)"))
    inactive = [n.address for n in layout.nodes if not n.active]
    if inactive:
        problems.append(
            (
                f"inactive node(s): {', '.join(inactive)}",
                "SELECT citus_activate_node('<host>', <port>) once it is back",
            )
        )
    return problems


_SIZE_PLAIN = """
SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
FROM pg_class AS c
WHERE c.relnamespace = to_regnamespace($1) AND c.relkind IN ('r', 'p', 'm')
"""

# A distributed table's coordinator relation is an empty shell: its rows are in its shards,
# which citus_total_relation_size measures on their workers (indexes and TOAST included).
_SIZE_CITUS = """
SELECT coalesce(sum(CASE WHEN p.logicalrelid IS NULL THEN pg_total_relation_size(c.oid)
                         ELSE citus_total_relation_size(c.oid) END), 0)::bigint AS bytes
FROM pg_class AS c
LEFT JOIN pg_dist_partition AS p ON p.logicalrelid = c.oid
WHERE c.relnamespace = to_regnamespace($1) AND c.relkind IN ('r', 'p', 'm')
"""


async def relation_bytes(conn: Any, schema: str) -> int:
    """Bytes on disk of ``schema``'s tables with their indexes, wherever they live (the
    shards on the workers for a distributed schema); 0 if it has none."""
    sql = _SIZE_CITUS if await is_citus(conn) else _SIZE_PLAIN
    return int((await fetch_rows(conn, sql, schema))[0]["bytes"])
