"""How each tenant model holds a user's data: the one place a data-deletion request reads.

Every model of the tenant app carries a ``user_data`` policy; a test fails when a model has
none, so a new feature cannot forget its part of ``/privacy forget-me`` and
``guildhall users forget``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The user id written in place of a forgotten author ("deleted user").
GHOST_USER_ID = 0


@dataclass(frozen=True)
class UserDataPolicy:
    """What to do with a model's rows when a user asks to be forgotten.

    ``delete_where``: rows whose field equals the user id are deleted.
    ``anonymize``: fields equal to the user id are set to :data:`GHOST_USER_ID` (the row stays,
    because it belongs to the guild as much as to its author).
    A policy with neither means "this model holds no user data".
    """

    delete_where: tuple[str, ...] = ()
    anonymize: tuple[str, ...] = ()
    reason: str = ""


NO_USER_DATA = UserDataPolicy(reason="holds no user data")
