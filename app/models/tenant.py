"""Tortoise app ``tenant``: the per-guild models. Their tables exist once per guild schema.

Queries on these models only work inside a binding (``async with guild_db(guild_id)``);
outside one the static connection points at a schema that does not exist and fails loudly.
Keys are bigint and there are no foreign keys out of the guild schema (Citus-ready).
"""

from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.models import Model

from app.models.privacy import NO_USER_DATA, UserDataPolicy

TAG_NAME_MAX = 64
TAG_CONTENT_MAX = 2000
NOTE_CONTENT_MAX = 1000
LEVEL_UP_TEMPLATE_MAX = 500


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
    #: when ``/note edit`` last changed the content (None: never)
    edited_at = fields.DatetimeField(null=True)

    user_data: ClassVar[UserDataPolicy] = UserDataPolicy(
        delete_where=("target_user_id",),
        anonymize=("author_id",),
        reason="notes about the user are their data; notes they wrote lose their author",
    )

    class Meta:
        table = "note"
        app = "tenant"


class GuildSettings(Model):
    """This guild's configuration: at most one row (id 1); no row means every default."""

    id = fields.BigIntField(primary_key=True)
    xp_enabled = fields.BooleanField(default=True, db_default=True)
    #: "off", "same" (the channel the member wrote in) or "channel" (level_up_channel_id)
    level_up_mode = fields.CharField(max_length=16, default="off", db_default="off")
    level_up_channel_id = fields.BigIntField(null=True)
    #: None: the built-in text in the guild's language
    level_up_template = fields.CharField(max_length=LEVEL_UP_TEMPLATE_MAX, null=True)
    #: None: everyone may create tags
    tag_creator_role_id = fields.BigIntField(null=True)
    #: None: reply in each caller's language; else "en-US" or "fr"
    language = fields.CharField(max_length=8, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    user_data: ClassVar[UserDataPolicy] = NO_USER_DATA

    class Meta:
        table = "guild_settings"
        app = "tenant"


class NoXpChannel(Model):
    """A channel in which messages earn no XP and are not counted."""

    id = fields.BigIntField(primary_key=True)
    channel_id = fields.BigIntField(unique=True)

    user_data: ClassVar[UserDataPolicy] = NO_USER_DATA

    class Meta:
        table = "no_xp_channel"
        app = "tenant"


class RoleReward(Model):
    """A role given to members who reach a level (``/config reward``)."""

    id = fields.BigIntField(primary_key=True)
    level = fields.IntField(unique=True)
    role_id = fields.BigIntField()

    user_data: ClassVar[UserDataPolicy] = NO_USER_DATA

    class Meta:
        table = "role_reward"
        app = "tenant"


class TagAlias(Model):
    """Another name for a tag (``/tag alias``); tag names and aliases share one namespace."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=TAG_NAME_MAX)
    #: casefold(name), unique like Tag.name_key
    name_key = fields.CharField(max_length=TAG_NAME_MAX * 3, unique=True)
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "tenant.Tag", related_name="aliases", on_delete=fields.CASCADE
    )
    tag_id: int
    author_id = fields.BigIntField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_data: ClassVar[UserDataPolicy] = UserDataPolicy(
        anonymize=("author_id",), reason="an alias is guild knowledge; only the authorship goes"
    )

    class Meta:
        table = "tag_alias"
        app = "tenant"
