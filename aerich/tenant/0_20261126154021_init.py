from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE "member" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "user_id" BIGINT NOT NULL UNIQUE,
    "display_name" VARCHAR(100) NOT NULL DEFAULT '',
    "xp" BIGINT NOT NULL DEFAULT 0,
    "level" INT NOT NULL DEFAULT 0,
    "message_count" BIGINT NOT NULL DEFAULT 0,
    "last_xp_at" TIMESTAMPTZ,
    "joined_at" TIMESTAMPTZ
);
COMMENT ON TABLE "member" IS 'A guild member''s XP standing in this guild.';
CREATE TABLE "note" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "target_user_id" BIGINT NOT NULL,
    "author_id" BIGINT NOT NULL,
    "content" VARCHAR(1000) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX "idx_note_target__a2576f" ON "note" ("target_user_id");
CREATE INDEX "idx_note_author__892eac" ON "note" ("author_id");
COMMENT ON TABLE "note" IS 'A moderator''s note about a member.';
CREATE TABLE "tag" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(64) NOT NULL,
    "name_key" VARCHAR(192) NOT NULL UNIQUE,
    "content" VARCHAR(2000) NOT NULL,
    "author_id" BIGINT NOT NULL,
    "uses" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX "idx_tag_author__2352b4" ON "tag" ("author_id");
COMMENT ON TABLE "tag" IS 'A named snippet of text; names are unique case-insensitively (``name_key``).';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztWV1v0zAU/StWXhjSmEpW2g2eyhjQh3UTiwANIc+t3dQssUPsbK3Q/ju2kzTNR0ta9t"
    "FB3prre9ybc9zce9JfliQMMbl3QvwhCa3X4JfFkE/Uh8LKLrBQEGRxHZBo6JlUP8sZChmi"
    "kVTRMfIEUSFMxCikgaSc6dwecCPqYRBjngnw9QwIiRimzAWUATmhIk7Z0xtiPlI7qrUNsB"
    "GjPyMCJXeJnJi7+/ZdhSnDZEpEehlcwTElHs7dPMV6AxOHchaY2Fvq9pl8b3J1ZUM44l7k"
    "syw/mMkJZ3MAjWlyCSMhkkR/gwwjzQmLPC8hL6UpLjZLiatcwGAyRpGnmdXouIAsZkE4OH"
    "Xg+bEDoVViPUUskJmERpxpxVSpwhDg6hJeHNr2/n7Xbu13Dl61u91XB60DlWvqLS91b+Ni"
    "MrbirQxn/Q/9gaML4upYxKdFB24NBkkUo4wYGfuRICFcV4IF0J91SFlvhFCYjHhMReChGT"
    "TXJfaPJiis5r6IKwigbmwTAdJApkD2TJnTbZUE+BvWfTSFHmGunKjLl63WCkY/9z4dfex9"
    "2lFZz/O8DpIlO17LUzwN1jvWcf7dnOg6hLaKfLae2iH2yDXxyiQvZXie/6RJtl+2u+2D/U"
    "57zu08sorSMn0+EQK5RBEUxQTUP6sl6JNm9KGPLRISTgOIKkh/p9iS1CdLDnAOWeAcJ9C9"
    "9EMNBZJGt5YA99gLV1Dr9E+Oz53eyZne3hfip2fo6jnHesU20VkhutMpPK/nm4Avfecj0J"
    "fg4nRwbNjkQrqh+cYsz7mwdE0okhwyfgMRXuQkDaehnMo/OGUEbyByDthovG0aaycxvlqY"
    "ZnVgiEZXNyjEsLTCbb4st7zk234xgph6zuKETV1n4tYGXBKrwsWZ+O4qD8fSjBoOzudYHy"
    "2uLZjGATTkkQQoMWZVxq0OpPFrW92qlvs1iUIlGdzItpWx9zU0/Ku6ZDqop9KEry9BDtaw"
    "vyn7qgj1XK1o7Mt98wLk4SzzfRJf9M81DfRKB12y0KOQaEo2GKLyyDuYorZOAHWD+JR5s+"
    "QX90TGquThsK1TlYPcqqFKh1fOVDJJqDFS6a0xEIwGAZGAj4EkU/nGhAVAIQHxCQMjJMgL"
    "ygRhgkp6TbwZ2Lm81GnwiswuL59XDV93u3kzpm11Q1o+pq37Vvfh3+Y+WGvqtGs0pk57aV"
    "vSS/mmlP5K1iU4xdwNyY97yvPd/9Cu0/wP7eW9X681M9ZKlu16M5a9asayK2asxko8ppVQ"
    "blis/e+naN64r2nYGh/xn/iI3G8rwBuqnkc2qm+L6hUv5U31j+oeb38DA1fAfA=="
)
