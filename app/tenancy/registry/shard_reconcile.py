"""Per-shard reconcile: guilds of this process's shards that the bot is no longer in.

When a shard gets a full READY (an IDENTIFY, not a RESUME), Discord has just listed every
guild of that shard. A registry guild of that shard that is not in the list removed the bot
while no process was connected to the shard (the GUILD_DELETE was never seen): it is marked
``left`` here, as :func:`~app.tenancy.registry.transitions.left` would have
done, so retention counts from now. Guilds of other shards are never touched: another process
(or nobody, yet) knows whether the bot is still in them.

One statement updates every such guild and announces each change (``NOTIFY``) in the same
transaction, whatever their number.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from tortoise import connections

from app.sharding import ShardScope
from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.registry.listener import CHANNEL

# The shard expression is Discord's (app.sharding.shard_of). Like mark_left: an active guild
# becomes 'left'; a disabled one stays disabled (the operator's choice survives) but gets its
# left_at, which is what retention counts from. A guild already marked keeps its left_at.
_MARK_ABSENT = """
WITH gone AS (
    UPDATE "shared"."tenant"
       SET status = CASE WHEN status = 'active' THEN 'left' ELSE status END,
           left_at = $1, updated_at = $1
     WHERE left_at IS NULL
       AND status IN ('active', 'disabled')
       AND ((guild_id >> 22) % $2) = ANY($3::int[])
       AND NOT (guild_id = ANY($4::bigint[]))
    RETURNING guild_id
), announced AS (
    SELECT guild_id, pg_notify($5, guild_id::text) FROM gone
)
SELECT guild_id FROM announced ORDER BY guild_id
"""


async def mark_absent_left(
    scope: ShardScope, present: Collection[int], *, now: datetime | None = None
) -> list[int]:
    """Mark ``left`` every registry guild of ``scope``'s shards that is not in ``present``.

    ``present`` is every guild the READYs of those shards listed. Returns the guilds marked
    (sorted); each change was announced to every process. Callers drop their own cached
    state of those guilds.
    """
    if not scope.shard_ids:
        return []
    moment = now or datetime.now(UTC)
    rows = await connections.get(SHARED_ALIAS).execute_query_dict(
        _MARK_ABSENT,
        [moment, scope.shard_count, list(scope.shard_ids), sorted(present), CHANNEL],
    )
    return [int(row["guild_id"]) for row in rows]
