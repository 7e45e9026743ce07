"""/note edit (issue 16): when a note was last edited."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "note" ADD "edited_at" TIMESTAMPTZ;
        COMMENT ON COLUMN note."edited_at" IS 'when ``/note edit`` last changed the content (None: never)';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "note" DROP COLUMN "edited_at";"""


MODELS_STATE = (
    "eJztXG1T2zgQ/isaf7kwAxyE15ZPgdKWawkdSO86PW6MYiuJDltyLbkh0+O/nyTb8btxQg"
    "IO+BPJSivLz65W+6wUfmkcEUj45gcPW+YV4hyTIdPegl8agTYSH/I7rAMNOk7ULAUc9i2l"
    "MZRddRbv22fchQYXrQNoMSREJmKGix2OKZE6vRFmQCn+xoBByQAPPRfK1rcAcmBTxgElCL"
    "h0DFrYBNtrR4BQ9dVGkDCAfiJ3Akw0gJ7FN+VDTWqIp4opLGl8j+AfHtI5HSI+Qq54yt//"
    "CDEmJrpDLPzq3OoDjCwzgSk25QBKrvOJo2THeHhG+HvVV86+rxvU8mwS9XcmfETJVAH7sA"
    "8RQeJNkHwCdz2JLfEsKzBGCLc/2aiLP8uYTvBmQiC1/QlEMk3Xuxc9/eq0p+taxnqhRgzw"
    "QCSQlpYXU/WdaiinsPGm3d7ZOWhv7ewf7u0eHOwdbh2Kvmq+2aaDe38yEVr+UAqzsw9n3Z"
    "6cEBXu5XufFNwrHcihr6WMEaF/5+jCaQU+eVag1BL2zjdDUjFljr7QTNsjRL/MIKEgski0"
    "REL4QxvFTTK121yWKAP14uKzfBGbsR+Wj3IK4u7X8+PTy9b2mhSLTpgnkI+QtsSqsXTP0W"
    "1qoizYJyPo5iOdUUyBLV5lWVhrdDDQMv4fCpNR61rKr0XDtcbEK19roCVCATBGkBBkAfnZ"
    "RnYfuWDsUo4AJmuAuqJ30EMqTF81kOnYXMuEr2U+KL1GbXinW4gM+Uh83d4v8ZQ/O5cnHz"
    "vCEfbXUg4StLRVU4FPRNOYLRgWDPBwdMzxkGARzeQgLyQ+5liEI9uxBFhzrdS48lyr9Wls"
    "oXXFNv9WrZi+SAf4BiaAozsO5F8hDHMEC5KhB4cosxTn0C9dYXtbWxWWmOhVuMZUW9KkHA"
    "51w0WQU1d3xY428yIrGKDGiywwjMrTZCZnwwlQb4CAeBlWYMey7vVYnDE/qrwmYzr1X4ou"
    "cqyJXD4IGiNgQMtCbmwBHQEkHiW2MkQ2vl6JjUztawP3Wisw6aPGK12qhxUW6mHhMj1ML1"
    "LPMaUJdMizxn0nWji2Ub6Bk5opE5uB6mb4YVmZ0jI3QrESzQtiTQJnLAG+d3Z+etXrnH9J"
    "5KzvOr1T2dJW0klK2konLNNBwF9nvY9AfgXfL7qnCl7BDYeuemLUr/ddk3OCHqc6oWMdmn"
    "GMQnE4e0kEB7cxMiIFfWjcjqFr6pkW2qZFfbNNdttOSyARfm4G4MppBhz+XKWIWg67D1rW"
    "y2i9HfV5kM53/H0wSErF6vv2BTAOiSmM7u+UIR3PUvUZdRsaXus0s5iGewy5M+clMaW5cp"
    "HXa4gIeBMzkalPdPV9hrQirfeEnDxLyB+DepLhVsq/t0vy7+1s/n3nzObWfv/FeHQVQLfS"
    "eG6tmhMr3pkFubxqsPIgt7d3D3YPd/Z3p9hOJWWQZuGzEWMiSRAAeSQn/Szz1YzqSiP65H"
    "SOcf3OmSPnT2ouIOevWe1rdVN8JUpY+V+KyVzELqHY2LhuNq4Jj+vSb86JX/zWcshcvHm9"
    "jNERKgOKEetagdiFZw6CiY1H2BiBYD9gAEGXyENTwdcEWwPQReIbB2qfQLlE71FjNcSv1n"
    "teMfGb9+BnAec9r9UctQlc6qQ4J2L550ZloSroUSFCyTNjV55c/MZk0EAA9qnHAQwqSnmB"
    "qIpKE29q7OBl8YZDV5hMn6velNVdFtt5qXaJ7CDSqRGd3QQJtQb9edEXkxBxNYeRFBf8Yi"
    "pPV+tbJvDpwl/Fyl9p6S9T+/NPkedhf0nN5livLnwwCA6llB+ZeD6jJxRXhvJr4xEi4Obm"
    "d5UtyXe4uQGyRKU4nUj+1GWYIICAln8yT+Rti+zltscN1ZQYlpGpX1ILXSI5jpaTr8daS7"
    "N2dXPIjTpWSN6lChjin8IlOA3SbwbGIwpcdZ8DAlXJBy3hMP49buA/4OZmLS+zf/R4Tdpf"
    "6wSnOO1/5hOiOlhgYcdFc90hfOy9wdplL6+tXNODw7zoL8WlYZ8HHSqEezm0CRjBjoM4oA"
    "N1l/ZIiZmq+vrGBwZkaAMThgjDXERzayIjtuym36JJQexf7ODNRlDjFVO2Ecx6z+Xp77c8"
    "Gefd363AePd3C/mubEruDOEqmRXgUGcxID+vlyfLCm/aVaoKb9rFRQXZ1hRvSlFuVyvetM"
    "uKN+2c4k1To3zOGqXHEJsN+FCjuYNUHeWmQFlskJdboGx+bfLSrL6AX5vENj4Lw/zoGyi+"
    "/3SJLPUfE3K8IGKGHTnOCvrAfej1oTSO5hIJto9XPsueYllKtXU47fYw4SZUcldFgcGAug"
    "DKXzuq4qf8q0YSfPdISQOeLK9f+c4B2EiyZvlzSdXmQAPl8O7lPKOh37VOLxr63dDvhXq5"
    "JqtyA2qZLTnftfWwWGfhWwREcNyMv0YiAM2i+PRUvmGYDfepZ6hazSy4CveRWdI8/wGjOb"
    "xaxOFVwg5ZI7ynLsJD8glNlCHOiPyxt5GXAiTPn1bMAEUEQ4hdOJ5mrTG/E29uIgv5/1zr"
    "pHN10nl3qt0/z1FgB7nYGGk5PCVoKWUpMOrzEEUpxnPBBOC1ZP+PvANQnNf/RC4LqgFVM8"
    "+YygvM7tt7e1WOJPb2ik8kZFsqXXRyfkpejHDQ/QWiu5Tf6Reeq/1xddGd9VzNxAYH/wme"
    "wVYxQSgBV4KRyPRCTFvnnW9puE8+XxynUzg5wPFz32u5/x8CWYpY"
)
