"""Test-only tenant models with a foreign key and a many-to-many relation.

The product's tenant models have no relations yet; these make the isolation tests cover the
relation paths that silently fall back to the static connection (docs/library-behaviour.md,
"Tortoise: silent fallbacks").
"""

from typing import ClassVar

from tortoise import fields
from tortoise.models import Model

from app.models.privacy import NO_USER_DATA, UserDataPolicy


class Shelf(Model):
    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=50)
    user_data: ClassVar[UserDataPolicy] = NO_USER_DATA

    class Meta:
        app = "tenant"


class Book(Model):
    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=50)
    shelf: fields.ForeignKeyRelation[Shelf] = fields.ForeignKeyField(
        "tenant.Shelf", related_name="books"
    )
    labels: fields.ManyToManyRelation["Label"] = fields.ManyToManyField(
        "tenant.Label", related_name="books"
    )
    user_data: ClassVar[UserDataPolicy] = NO_USER_DATA

    class Meta:
        app = "tenant"


class Label(Model):
    id = fields.BigIntField(primary_key=True)
    text = fields.CharField(max_length=50)
    user_data: ClassVar[UserDataPolicy] = NO_USER_DATA

    class Meta:
        app = "tenant"
