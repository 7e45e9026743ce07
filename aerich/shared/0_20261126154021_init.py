from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE "tenant" (
    "guild_id" BIGINT NOT NULL PRIMARY KEY,
    "schema_name" VARCHAR(32) NOT NULL UNIQUE,
    "name" VARCHAR(100) NOT NULL DEFAULT '',
    "status" VARCHAR(16) NOT NULL DEFAULT 'active',
    "reason" VARCHAR(200),
    "paid_until" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "left_at" TIMESTAMPTZ,
    "schema_version" VARCHAR(255) NOT NULL DEFAULT ''
);
COMMENT ON COLUMN "tenant"."status" IS 'ACTIVE: active\nDISABLED: disabled\nLEFT: left';
COMMENT ON TABLE "tenant" IS 'One row per guild that ever had the bot: where its data lives and whether it is served.';
CREATE TABLE "user" (
    "user_id" BIGINT NOT NULL PRIMARY KEY,
    "tracking_opt_out" BOOL NOT NULL DEFAULT False,
    "created_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE "user" IS 'A Discord user across every guild: today only their XP-tracking opt-out.';
CREATE TABLE "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztWVtz2jgU/isanrIzTSc1AbK8QeJuvZNAp3G7nW53NMISRhMjuZaclGn57ysJG18hQE"
    "lKMnlD5yIdf9+RjnT40RATFBH82iUMMdnogh8NhqZE/ShpXoEGCsNMrgUSjQJjKjObkZAR"
    "8vRMYxQIokSYCC+ioaScadshIyDidyAkEfBjGmAgJ0gCcqvGE6RHBIy47IK7CYkIoFIAjC"
    "QCAb0lAiCGtUIZRUoFqACCRLcqTL045p5anTL/gdeJGf0WEyi5bwzUav/+p8SUYfKdiHQY"
    "3sAxJQEugGoigdTAZ7RQzkKj6VPfYfKt8dDfMoIeD+IpK3uFMznhbOlGF7j7hJEISYJzwL"
    "M4CBKGUtEiciWQUUyWIeNMgMkYxYGmT3sv4shkDQgHQxde2y6EjQq1qUeOhUTkcabTQsUq"
    "DBq+DuH4T8tqNjvWSbN91jrtdFpnJ2fK1sRbVXXmi2Ay0BZTGeicv5yBqwPiKvcWKakFc+"
    "OjSF14GWZy+e1NyBRBM6ywca6SvJ6LkluJDvWZT4+OKfoOA8J8OVHDprUG6U+9D+fveh+O"
    "mtYfRbgHicYyKg18BvS2CO8X2lSQYZsdTEsgGxVo94bnm5OTDQBVVisRNboipEIiGYt6UG"
    "0WTw2wjooKMY9UU3jp/YgQq6KgTtYq0Dl5sVD0zl3nk90FC4Ov7MK57vUv7YsuwFToUPBX"
    "dmm/dbsgIGNZPv83oqa9CTPt1cS0y7xEBAkV/RbJnnnsxEVyTmxFxaMdJdZGqW+tSX2rmv"
    "ohohjGTNKgCvOFAkrSKamHuuhZghsnrq/TH08P/DVYu86Vfe32rt7r6adCfAsMXD3X1hrL"
    "SGcl6VE58ZeTgH8c9x3QQ/BlOLANmlxIPzIrZnbul4aOCcWSQ8bvIMJ5TFJxKiqw7Kl9oX"
    "CHSG7LctFzDyzvdNw95B5TH4iHLJglGfhEaE82y1rW4xDvyHrR84X1Q2G9ZrMn0Wes6/K9"
    "A+U5t5ez/HDore7q5MWkHt6Cbnc5qno+jzeB1WptcjFqtVZfjLRuPtd9hvFN7nmrBSPk3d"
    "yhCMOKhlt8lW1VNbWmZQliyDdw6Y/UX5D0iD4K0wWp9I6M/NW6zlGcWtzbN+qBCyo8HmGg"
    "fdSrIOJCmHbObNHfUXuYYzQDXB2SurtDI/D5/bGe9UYxA3goj3ksq42ifU78C50hvfjWja"
    "Gc00tfaE99oZRYqIiFitgaRjgPCGL1lNS5l7gZKf+HOraWkjw/9VtqH8WoPxxeFupQ3ykB"
    "Pvh41bfVM9ocZcqIygIPL1f+53v5W3XlP5Cq1SMR9SZ1dSvRrK1cKLO5r3at5vkX6kVdqV"
    "hZJzYtEQljh14hrDenndOzZvt0WRiWknX14P6zf4c76m+5nD5eC29fN9X8Sa831RYIJ+bP"
    "EN0H+W9ArSgJqymif18PBysKaOZSrp7Uk+AnCKjY6Tp5uK9oDUahRKaYHl31PpfhPr8c9s"
    "u1T0/Q/91PsPn/N/0hNw=="
)
