"""Role rewards (issue 16): the role a member gets on reaching a level."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "role_reward" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "level" INT NOT NULL UNIQUE,
    "role_id" BIGINT NOT NULL
);
COMMENT ON TABLE "role_reward" IS 'A role given to members who reach a level (``/config reward``).';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "role_reward";"""


MODELS_STATE = (
    "eJztW21T2zgQ/isafynMAAfhLW0/Bcq13JSkA+ldp8eNUWzF0WFLriQXMr3+95NkG7+7Tk"
    "jAQD4Rr3Zl+Vntap+1+WEIRCARW+8D7NoXSAhMHG68AT8MAj0kf5QrbAAD+n4yrAQCjlxt"
    "4ShVk6d1R1wwaAk5OoYuR1JkI24x7AtMibIZTjAH2vAVBxYlY+wEDKrRNwAK4FEuACUIMH"
    "oD1rANdtbfAkL1pYcg4QB9R2wKbDSGgSu21E1tasm7yiUsaf6A4G8BMgV1kJggJu/y9z9S"
    "jImNbhGPL/1rc4yRa2cwxbaaQMtNMfW17Ag7p0T8rnXV6kemRd3AI4m+PxUTSu4McAi7gw"
    "iST4LUHQQLFLYkcN3IGTHc4WITlXCVKZvoyaRAWYcLSGSGafYHQ/PiZGiaRsF7sUUK8Egk"
    "kVael0sNN5WjlrD5utPZ3T3sbO8edPf3Dg/3u9tdqavXWxw6/BkuJkErnEpjdvr+tD9UC6"
    "Jye4W7Twl+ahsoYGilnZGgf+ubctNKfMq8QKkr/V3uhqxhzh0jaZn3R4x+nUNiQeKRJERi"
    "+GMfpV1y57e5PFEH6mDwUT2Ix/k3N0Q5B3H/89nRyfnazroSSyUsMsgnSLsyalwz8E2P2q"
    "gI9vEEsnKkC4Y5sOWjLAtrg47HRmH/x8Js1rpU8ks5cGlw+ciXBliTqQBYE0gIcoH67SFv"
    "hBi4YVQggMk6oExqRxrK4O5RI5mJ7fVC+lrmjfIx6sFb00XEERN5uXNQs1P+7J0ff+jJjX"
    "Cwntsg0UhHD1XsiWQZsyXDigl+nR1LdkgURDNtkGeSH0s8IpDnuxKsuSI1bTxXtD6ML4y+"
    "PObf6IgZyXJAbGICBLoVQP2VwrhGcCFxAuigQijOYV8bYfvb2w1CTGpVxpgey7pUQMe0GI"
    "KCMpPJE23mIKuYoMVBFjlG12mqkvPgFOgnQEA+DK/wY516O4IztY8ax2TKpv2hyJDvTlX4"
    "IGhNgAVdF7FUAL0FSN5KHmWIbH6+kAeZPtfG7NKocOm95qsN1W6DQO1Whmk3H6SBbysXmF"
    "AUnftOjgjsoXIHZy1zLrYj0634x7IqpWUehDIS7QFxp9FmrAF+eHp2cjHsnX3K1KzvesMT"
    "NdLR0mlOupYvWO4mAX+dDj8AdQm+DvonGl7JDR2m75joDb8aak0wENQk9MaEdhqjWByvXh"
    "HB8XWKjCjBCFrXN5DZZmGEdmiVbnHI63h5CSRyn9sRuGqZEYc/0yWiUcLuo5GNOlrvJTq/"
    "pPO98ByMilIZfV8+AS4gsaXTw5MypuNFqj6j7YqGt7rMrKbhAUds5rokZTRXLfJyHZEAb2"
    "MuK/Wpqa9nKCvydg/IyYuE/D6oZxluo/p7p6b+3inW37f+bNs61F/Mjm4C6HYez+2ntok1"
    "7yyCXN81ePIgd3b2Dve6uwd7d9jeSeogLcLnIc5lkSABCkhJ+Vm3VwumTxrRB6dzXJi3/h"
    "w1f9ZyATV/y3pfT7fE16KMl/+lmMxF7DKGKx+3zcct4XF9+sU/DpvfRgmZSw9v1DE6QlVC"
    "sVKqDYhd/M5BMrGbCbYmIDoPOECQEfXSVPI1ydYAZEheCaDPCVRK9O4114r4tfrMqyZ+87"
    "74WcD7npfqjtYkLv2muCRjhe+N6lJVpNEgQ6l3xky9uXjFVdJAAI5oIACMOkpliaiJySrf"
    "tHiD1+UbAZl0mTlXv6louyy281z9kvhBllMTOrsLMmYr9OdFXy5C5tUSRlLd8EuZPFyvb5"
    "nA5xt/DTt/ta2/Qu8vfIs8D/vLWq5e67WFD0bJoa108Jy66Bypecpqq9RobYWlv/JgiWKD"
    "QkuZAAd/RwQIGpVKXDI5Cph+9w6B7rqCtaur38JvbkF4g6ur9bIq7N7zrUq0Vh9G1SXaI3"
    "fz2+CBhbX25/re677feLXupHlp1HoInbLsr8S1aV9ECg3SvZraBpxg30cC0LH+7vGtFnPd"
    "oQudDyzI0SYmHBGOhczm7lRlbKVmXqNpRe5f7OSrg6DFEVN3EMz6TcLDf4vwYPzkYK8BOz"
    "nYq+Qmaih7MsRRMivAsc1iQH7cXZ6lgK87TRjg6041AVRjK6Jdi3KnGdHu1BHtTgnRXvWT"
    "HrOfFHDEZwM+tlh9L9Ic5VUzqdohz6uZtPrPgOfs9Zb/Z0APMWxNjBICGY1s1HFImOj8ik"
    "ZW+3nBlO2l8LV7to2qmdh3xLha0gxlbMrkOZax+/tNqtj9/eoiVo3lali/5EvxaoQj9WeI"
    "7lI+w6+kYn9cDPqzUjEbWwL8B1zMn2JDtAZcBUbmiIwxXTvrfcnDffxxcJQ/+9QER4/dCv"
    "35PzUeYwc="
)
