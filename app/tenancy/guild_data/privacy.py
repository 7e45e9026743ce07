"""Carry out a data-deletion request in the currently bound guild, from the models' policies."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app.models.privacy import GHOST_USER_ID, UserDataPolicy
from app.tenancy.connections.config import TENANT_ALIAS, TENANT_APP

#: Tenant-app models that are bookkeeping, not features (aerich's migration state).
_EXEMPT = {"Aerich"}


def user_data_policies() -> dict[type[Model], UserDataPolicy]:
    """Every tenant model with its policy; raises if a model declares none."""
    policies: dict[type[Model], UserDataPolicy] = {}
    apps = Tortoise.apps
    models = apps[TENANT_APP] if apps is not None and TENANT_APP in apps else {}
    for name, model in models.items():
        if name in _EXEMPT:
            continue
        policy = getattr(model, "user_data", None)
        if not isinstance(policy, UserDataPolicy):
            raise TypeError(
                f"tenant model {name} declares no user_data policy; add "
                "`user_data: ClassVar[UserDataPolicy] = ...` (see app/models/privacy.py)"
            )
        policies[model] = policy
    return policies


async def forget_user_in_bound_guild(user_id: int) -> dict[str, int]:
    """Delete or anonymise ``user_id``'s rows in the bound guild, in one transaction.

    Returns the number of rows deleted or anonymised per table. Must run inside
    ``guild_db(...)``.
    """
    counts: dict[str, int] = {}
    async with in_transaction(TENANT_ALIAS) as conn:
        for model, policy in user_data_policies().items():
            table = model._meta.db_table
            touched = 0
            for field in policy.delete_where:
                touched += await model.filter(**{field: user_id}).using_db(conn).delete()
            for field in policy.anonymize:
                touched += (
                    await model.filter(**{field: user_id})
                    .using_db(conn)
                    .update(**{field: GHOST_USER_ID})
                )
            if touched:
                counts[table] = touched
    return counts
