"""Schema digests read over several connections at once, all on one snapshot.

The digest query is CPU-bound in the server (deparsing ~60 catalog rows per schema), and one
query runs on one core: spreading the schemas over ``jobs`` connections puts as many cores
to work. Every helper connection imports the snapshot of the main transaction
(``pg_export_snapshot``), so all shares see the same database. The reference schemas exist
only inside the main transaction, so their digests are read there.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.tenancy.schemas.verify.shape import SESSION, Digest, read_digests

#: What ``pg_export_snapshot`` returns; checked before it goes into SQL text.
_SNAPSHOT = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")


async def export_snapshot(conn: Any) -> str:
    """The snapshot of ``conn``'s open repeatable-read transaction, for helpers to import."""
    snapshot = str(await conn.fetchval("SELECT pg_export_snapshot()"))
    if not _SNAPSHOT.match(snapshot):
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    return snapshot


async def _on_helper(helper: Any, snapshot: str, schemas: Mapping[str, str]) -> dict[str, Digest]:
    async with helper.transaction(isolation="repeatable_read", readonly=True):
        await helper.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        await helper.execute(SESSION)
        return await read_digests(helper, schemas)


async def read_digests_split(
    conn: Any,
    helpers: Sequence[Any],
    snapshot: str,
    schemas: Mapping[str, str],
    local: Mapping[str, str],
) -> dict[str, Digest]:
    """Digests of ``schemas`` spread over ``conn`` and ``helpers``, plus those of ``local``
    (schemas only ``conn``'s transaction sees) on ``conn``. Arguments as
    :func:`~app.tenancy.schemas.verify.shape.read_digests`."""
    names = list(schemas)
    shares = [names[i :: len(helpers) + 1] for i in range(len(helpers) + 1)]
    mine = {**{name: schemas[name] for name in shares[0]}, **local}
    results = await asyncio.gather(
        read_digests(conn, mine),
        *(
            _on_helper(helper, snapshot, {name: schemas[name] for name in share})
            for helper, share in zip(helpers, shares[1:], strict=True)
        ),
    )
    digests: dict[str, Digest] = {}
    for result in results:
        digests.update(result)
    return digests
