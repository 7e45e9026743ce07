"""Per-guild settings (issue 16): the guild_settings row read by /config and the XP path,
and the channels where messages earn no XP."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "guild_settings" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "xp_enabled" BOOL NOT NULL DEFAULT True,
    "level_up_mode" VARCHAR(16) NOT NULL DEFAULT 'off',
    "level_up_channel_id" BIGINT,
    "level_up_template" VARCHAR(500),
    "tag_creator_role_id" BIGINT,
    "language" VARCHAR(8),
    "updated_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON COLUMN "guild_settings"."level_up_mode" IS '\\"off\\", \\"same\\" (the channel the member wrote in) or \\"channel\\" (level_up_channel_id)';
COMMENT ON COLUMN "guild_settings"."level_up_template" IS 'None: the built-in text in the guild''s language';
COMMENT ON COLUMN "guild_settings"."tag_creator_role_id" IS 'None: everyone may create tags';
COMMENT ON COLUMN "guild_settings"."language" IS 'None: reply in each caller''s language; else \\"en-US\\" or \\"fr\\"';
COMMENT ON TABLE "guild_settings" IS 'This guild''s configuration: at most one row (id 1); no row means every default.';
        CREATE TABLE IF NOT EXISTS "no_xp_channel" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "channel_id" BIGINT NOT NULL UNIQUE
);
COMMENT ON TABLE "no_xp_channel" IS 'A channel in which messages earn no XP and are not counted.';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "no_xp_channel";
        DROP TABLE IF EXISTS "guild_settings";"""


MODELS_STATE = (
    "eJztWm1T2zgQ/isafynMQAcCgbT9FCjXcnMknZLedXrcGMVWEh225FpyIdPrf7+VbON31w"
    "kEDM0nyGpXlp/d1e4j+bshCcNMvnwXUMc+J1JSNhXGa/TdYNgl8E+5whYysOclw0og8djR"
    "FlOlaoq07lhIH1sSRifYEQRENhGWTz1JOVM2oxkVSBu+EMjibEKngY/V6GuEJXK5kIgzgn"
    "x+jTaojXY33yDG9U+XYCYQ+Ub8ObLJBAeOfKkeanMLngpLWNH8AaNfA2JKPiVyRnx4yt//"
    "gJgym9wQEf/0rswJJY6dwZTaagItN+Xc07IjOj1l8jetq1Y/Ni3uBC5L9L25nHF2a0BD2K"
    "eEEXgTop4g/UBhywLHiZwRwx0uNlEJV5myid4MBMo6XEAiM0xzMByZ5ycj0zQK3ostUoBH"
    "IkBaeR6WGgbVVC1h+1Wns7d32NnZO+h19w8Pu72dHujq9RaHDn+Ei0nQCqfSmJ2+Ox2M1I"
    "I4hFcYfUrwQ9tgiUMr7YwE/RvPhKAFfMq8wLkD/i53Q9Yw544xWOb9EaNf55BYkHgkSZEY"
    "/thHaZfc+m0pT9SBOhz+oV7EFeKrE6Kcg3jw6ezo5OPG7qYSgxKVGeQTpB3IGscMPNPlNi"
    "mCfTzDfjnSBcMc2PAqq8La4JOJUYj/WJjdtS6U/AIGLgwBr3xhoA3YCpA1w4wRB6n/XeKO"
    "iY+ufS4JomwTcR+0Iw1lcPuqkcyk9mZh+1rlg/I56uIb0yFsKmfwc/egJlL+7H88ft+HQD"
    "jYzAVINNLRQxUxkSxjsc2wYoKf744lERIl0UIB8kz2xxKPSOJ6DoC1VKamjZfK1ofxhTGA"
    "Mv9aZ8wY2gG5TRmS5EYi9ReEcY/gYDYN8JQUUnEJ+9oM6+7sNEgx0KrMMT2WdanEU9PyCZ"
    "bcN32oaAsnWcUELU6yyDG6T1OdnIvnSL8BQfAyosKPdertSM5UHDXOyZRN+1PRJ54zV+lD"
    "sDVDFnYc4qcS6A0i8CgoZYRtfzqHQqbr2sS/MCpceqf5alO11yBRe5Vp2ssnaeDZygUmlk"
    "XnvoURSV1S7uCsZc7FdmT6Mv5nVZ3SKgshZKI9ZM48CsYa4EenZyfno/7Zh0zP+rY/OlEj"
    "HS2d56Qb+YbldhL01+noPVI/0Zfh4ETDC9xw6usnJnqjL4ZaEw4kNxm/NrGdxigWx6tXRH"
    "BylSIjSjDG1tU19m2zMMI7vEq3OOR23LwEM4hzOwJXLTPi8Ge6RTRK2H00slVH691E56d0"
    "vh/Wwagphez7/AEJiZkNTg8rZUzHi1R9Qds1DW91m1lNwwNB/IX7kpTRUr3Ir+uIBHibCu"
    "jU56b+vUBbkbd7QE5eJOR3QT3LcBv137s1/fdusf++8RYL61D/fiK6CaA7eTx3nloQa95Z"
    "BLn+1ODJg9zZ3T/c7+0d7N9ieyupg7QIn0uEgCYBAApYSftZF6sF0yeN6IPTOSHNG2+Jnj"
    "9reQ89f8vOvp5ui69FGS//yylbithlDNc+bpuPW8LjBvyzdxwefhslZC49vFXH6BhXG4qV"
    "Um1A7OI7B2Bi1zNqzVBUDwQi2Gfq0hT4GrA1hH0CvyTSdYKUEr07zbUmfq2uedXEb9mLn3"
    "u47/lV3dGajUvfFJfsWOG9Ud1WFWk02KHUnbGvbi5eCLVpEITHPJAIRydKZRtRE5P1ftPi"
    "AK/bbyT2wWXmUudNRdtVsZ3n6pfED9BOzfjiLsiYrdFfFn1YBOyrJYyk+sAvZfJwZ32rBD"
    "5/8Nfw5K/26K9w9hfeIi/D/rKW62u9tvDBaHNoKx0c4WlZU6XEtT2VjBQatFRqahsJRj2P"
    "SMQn+pOXN1osNDkLIwxZWJBtygRhgkr6jThztHF5qdTMKzK/vNwsa77ud/J1m9bqglTdpi"
    "16HfXw11APVpoO9hsUpoP9yrKkhrJFKc6SRQGObe4H5MeN8mz1f9VpUvxfdaprvxpb91i1"
    "KHea9Viduh6rU9JjranEY1IJYMNiMeBji/VVYXOU1zyi2iHPi0esPwp9zl5v+UehfeJTa2"
    "aUEMhoZKuOQ+JE52c0strP90zZfhW+dsePgaqZ2DfiC7WkBdrYlMlzbGO73SZdbLdb3cSq"
    "sVwP65V8JFiNcKT+DNFdyReYlVTs9/PhYFEqZlNLov+QQ8XK+tXH+epGgZEpkTGmG2f9z3"
    "m4j/8YHuVrn5rg6LEvmH/8D0klfiQ="
)
