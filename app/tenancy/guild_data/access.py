"""A user's right of access: every row of the bound guild that holds their data.

Which rows those are is read from the same per-model ``user_data`` policies that drive
erasure (:mod:`app.tenancy.privacy`): a row whose ``delete_where`` or ``anonymize`` field
names the user is theirs to see. A new model is covered as soon as it declares its policy.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q

from app.tenancy.guild_data.privacy import user_data_policies


async def user_rows_in_bound_guild(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Per table, the rows that hold ``user_id``'s data, as JSON-ready dicts (oldest first).

    Must run inside ``guild_db(...)``. Tables with no such row are left out.
    """
    found: dict[str, list[dict[str, Any]]] = {}
    for model, policy in user_data_policies().items():
        fields = (*policy.delete_where, *policy.anonymize)
        if not fields:
            continue
        # (mypy matches the unpacked dict against Q's join_type: str)
        conditions: list[Q] = [Q(**{field: user_id}) for field in fields]  # type: ignore[arg-type]
        mine = Q(*conditions, join_type="OR")
        rows = await model.filter(mine).order_by(model._meta.pk_attr).values()
        if rows:
            found[model._meta.db_table] = [{k: jsonable(v) for k, v in r.items()} for r in rows]
    return found


def jsonable(value: Any) -> Any:
    """A column value as JSON holds it: timestamps in ISO 8601, ids above 2**53 as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        # JavaScript (and many JSON readers) lose precision past 2**53: Discord ids are text.
        return str(value)
    return value
