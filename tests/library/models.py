"""Models of the library pinning tests only (app ``lib``): a foreign key and two kinds of default.

They are not tenant models: the pinning tests run them in a Tortoise context of their own, so
the product's models and the session's tenancy core are never touched.
"""

from tortoise import fields
from tortoise.models import Model


class Shelf(Model):
    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=50)

    class Meta:
        app = "lib"


class Book(Model):
    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=50)
    shelf: fields.ForeignKeyRelation[Shelf] = fields.ForeignKeyField(
        "lib.Shelf", related_name="books"
    )
    #: Only the Python side knows this default ("Tortoise: db_default").
    pages = fields.IntField(default=7)
    #: The database knows this one.
    copies = fields.IntField(db_default=3)

    class Meta:
        app = "lib"
