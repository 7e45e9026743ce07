"""Test-only tenant models with a foreign key and a many-to-many relation.

The product's tenant models have no relations yet; these make the isolation tests cover the
relation paths that silently fall back to the static connection (FACTS.md).
"""

from tortoise import fields
from tortoise.models import Model


class Shelf(Model):
    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=50)

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

    class Meta:
        app = "tenant"


class Label(Model):
    id = fields.BigIntField(primary_key=True)
    text = fields.CharField(max_length=50)

    class Meta:
        app = "tenant"
