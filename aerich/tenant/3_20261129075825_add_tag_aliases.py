"""Tag aliases (issue 16): other names for a tag, deleted with it."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "tag_alias" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(64) NOT NULL,
    "name_key" VARCHAR(192) NOT NULL UNIQUE,
    "author_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "tag_id" BIGINT NOT NULL REFERENCES "tag" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_tag_alias_author__fc996a" ON "tag_alias" ("author_id");
COMMENT ON COLUMN "tag_alias"."name_key" IS 'casefold(name), unique like Tag.name_key';
COMMENT ON TABLE "tag_alias" IS 'Another name for a tag (``/tag alias``); tag names and aliases share one namespace.';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "tag_alias";"""


MODELS_STATE = (
    "eJztXFtT2zgU/isavyzMAAvh2vIUKG3ZltCBdLfTZccotuJ4sSVXkguZLv99JdmO78YJCT"
    "jgJ+IjHVn+zkXnk2x+aRxhiPnGB992zEvEuY0tpr0FvzQMXSR+FHdYAxr0vLhZCjgcOErD"
    "kl11luw7YJxCg4vWIXQYEiITMYPaHrcJljr9kc2AUvyNAYPgoW35FMrWtwBy4BLGAcEIUH"
    "ILVmwTbK0eAkzUpYsgZgD9RHQMTDSEvsM35E1NYoi7iiksaHwf2z98pHNiIT5CVNzl73+E"
    "2MYmukMsuvRu9KGNHDOFqW3KAZRc52NPyY5s6xTz96qvnP1AN4jjuzju7435iOCJgh3Abi"
    "GMxJMgeQdOfYkt9h0nNEYEdzDZuEswy4RO+GRCILWDCcQyTdd753398qSv61rOepFGAvBQ"
    "JJCWlhdTDZzKklNYf9PpbG/vdza39w52d/b3dw82D0RfNd980/59MJkYrWAohdnph9NeX0"
    "6ICPcKvE8K7pUO5DDQUsaI0b/zdOG0Ap8iKxDiCHsXmyGtmDHHQGhm7RGhX2WQSBBbJA6R"
    "CP7IRkmTTOw2kyWqQD0//ywfxGXshxOgnIG49/Xs6ORiZWtVikUnm6eQj5F2RNQ4uu/pLj"
    "FRHuzjEaTFSOcUM2CLR1kU1hoZDrWc/0fCdNa6kvIr0XClMfHIVxpYEakAGCOIMXKA/O0i"
    "d4AouKWEI2DjVUCo6B32kAqTRw1lum2u5tLXIm+UjVEX3ukOwhYficutvQpP+bN7cfyxKx"
    "xhbzXjIGFLRzWV+EQ8jemSYckAD2fHAg8Jg2gqB3kh+bHAIhy5niPAmilSk8ozRevT2ELr"
    "iWX+rYqYgSgH+LqNAUd3HMi/QhjVCA7Elg8tlAvFGfQrI2x3c7NGiIlepTGm2tIm5dDSDY"
    "ogJ1SnYkWbOshKBmhwkIWGUXWarORcOAbqCRAQD8NK7FjVvRnBmfCj2jGZ0Gl+KFLkOWMZ"
    "PggaI2BAx0E0EUCHAIlbiaUM4fWvl2IhU+vakF5pJSZ91HiVoXpQI1APSsP0IBukvmdKE+"
    "iQ5437TrRw20XFBk5rZkxshqob0Y9FVUqLXAhFJJrn2BmHzlgBfP/07OSy3z37kqpZ33X7"
    "J7Klo6TjjHQlW7BMBgF/nfY/AnkJvp/3ThS8ghtaVN0x7tf/rsk5QZ8THZNbHZpJjCJxNH"
    "tJBIc3CTIiBQNo3NxCauq5FtIhZX3zTW7HzUogFn5uhuDKaYYc/kyViFoBuw9b1qpovRv3"
    "eZDOd4N1MCxKRfR9+wIYh9gURg9WyoiO56n6lLotDW90mVlOw32G6NR1SUJpplrk9RoiBt"
    "60majUx7q6nqKsyOo9ISfPE/LHoJ5muLXq762K+nsrX3/fedO5ddB/Ph5dB9DNLJ6by+bE"
    "infmQa7eNVh6kDtbO/s7B9t7OxNsJ5IqSPPwuYgxUSQIgHxcUH5W+WpOdakRfXI6x7h+58"
    "1Q86c151DzN2zva3lLfCVKWflfYuOZiF1KsbVx02zcEB7XI9+842DzWysgc8nmtSpGh4lM"
    "KEaiaw1iF505CCZ2O7KNEQjXAwYQpFgemgq+JtgagBSJKw7UOoEKid6jxmqJX6PXvHLiN+"
    "vBzxzOe16rORqTuNRJcUHGCs6NqlJV2KNGhpJnxlSeXPzGZNJAAA6IzwEMd5SKElEdlTbf"
    "NNjBq/INh1SYTJ9pvymvuyi281LtEttBlFMjMr0JUmot+rOiLyYh8moBIynf8EuoPN1e3y"
    "KBz2781dz5q9z6y+39BafIs7C/tGZ7rNcUPhgmh6bSwQvioAskxymqrRKtlRWWesuDxh1r"
    "FFpSBVj2T4QBJ2GpxASTI4Cqs3cI1K4rWLm+/j145xYEN7i+Xi2qwh49XluiNXoxKi/Rnn"
    "k3vwkWmNvW/kzvez32Ha/GrTSvjVr3oVWU/aW4Mu3zsEONdC+HNgHDtuchDshQvfd4qMRM"
    "7dAFxgcGZGjdxgxhZnORzZ2xzNiym36DxiW5f76DtwtBgyOmaiGY9p2Ep38X4cn4yd5ODX"
    "ayt1PKTWRTemWIomRagCOd+YD8vF6epoBvOnUY4JtOOQGUbS3RrkS5U49od6qIdqeAaLf7"
    "Sc+5n+QzxKYDPtJo3xepj3K7mVRukJe1mdR+GfCSrT6HLwMSC59jw+LsGyq+/3SBHPV1e4"
    "EXxMywK8dZQh+4j7w+kibRXCDBDvAqZtkTLCuptg4n3R4m3JhI7qooMBgSCqD8Mk1tfsq/"
    "aiTBdw+VNOTJ8lWZwDkAG0nWLD9tU20eNFAB717MPVr63ejyoqXfLf2eq5drclduSBxzRc"
    "53dS3arHPsGwREctxIPkYqAU2j+PRUvmWYLfdpZqpaziq4DveRVdIs/62gPbyax+FVyg55"
    "I7wnFNkW/oTGyhCnWH6YaxSVAOnzpyUzQBnBEGIKbydVa8LvxJObyEHBP0I67l4ed9+daP"
    "fPcxTYRdQ2RloBTwlbKlkKjPs8RFHK8ZwzAXgt1f8j3wEor+t/IsrC3YC6lWdC5QVW953d"
    "3TpHEru75ScSsi1TLnoFn/2WIxx2f4HoLuSb6tJztT8uz3vTnquZtsHBf4JnsGUsECrAlW"
    "CkKr0I05Wz7rcs3Mefz4+yJZwc4Oi532u5/x+xRsoA"
)
