"""Tortoise app ``tenant``: the per-guild models. Their tables exist once per guild schema.

Queries on these models only work inside a binding (``async with guild_db(guild_id)``);
outside one the static connection points at a schema that does not exist and fails loudly.
Keys are bigint and there are no foreign keys out of the guild schema (Citus-ready).
"""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.models import Model

from app.models.privacy import UserDataPolicy

TAG_NAME_MAX = 64
TAG_CONTENT_MAX = 2000
NOTE_CONTENT_MAX = 1000


class Member(Model):
    """A guild member's XP standing in this guild."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.BigIntField(unique=True)
    display_name = fields.CharField(max_length=100, default="", db_default="")
    xp = fields.BigIntField(default=0, db_default=0)
    level = fields.IntField(default=0, db_default=0)
    message_count = fields.BigIntField(default=0, db_default=0)
    last_xp_at = fields.DatetimeField(null=True)
    joined_at = fields.DatetimeField(null=True)

    user_data: ClassVar[UserDataPolicy] = UserDataPolicy(
        delete_where=("user_id",), reason="XP and activity are the member's own"
    )

    class Meta:
        table = "member"
        app = "tenant"


class Tag(Model):
    """A named snippet of text; names are unique case-insensitively (``name_key``)."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=TAG_NAME_MAX)
    # casefold(name): the unique key, so "Rules" and "rules" are the same tag.
    name_key = fields.CharField(max_length=TAG_NAME_MAX * 3, unique=True)
    content = fields.CharField(max_length=TAG_CONTENT_MAX)
    author_id = fields.BigIntField(db_index=True)
    uses = fields.BigIntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    user_data: ClassVar[UserDataPolicy] = UserDataPolicy(
        anonymize=("author_id",), reason="a tag is guild knowledge; only the authorship goes"
    )

    class Meta:
        table = "tag"
        app = "tenant"


class Note(Model):
    """A moderator's note about a member."""

    id = fields.BigIntField(primary_key=True)
    target_user_id = fields.BigIntField(db_index=True)
    author_id = fields.BigIntField(db_index=True)
    content = fields.CharField(max_length=NOTE_CONTENT_MAX)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_data: ClassVar[UserDataPolicy] = UserDataPolicy(
        delete_where=("target_user_id",),
        anonymize=("author_id",),
        reason="notes about the user are their data; notes they wrote lose their author",
    )

    class Meta:
        table = "note"
        app = "tenant"
