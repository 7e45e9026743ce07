"""``guildhall db verify``: prove every guild schema is what its recorded migration version
should be, in a handful of catalog queries whatever the number of guilds."""

from app.tenancy.schemas.verify.compare import Difference, expected_owner
from app.tenancy.schemas.verify.ddl import tenant_head_ddl
from app.tenancy.schemas.verify.fleet import NoRegistry, VerifyInputError, verify_schemas
from app.tenancy.schemas.verify.report import Drift, VerifyReport

__all__ = [
    "Difference",
    "Drift",
    "NoRegistry",
    "VerifyInputError",
    "VerifyReport",
    "expected_owner",
    "tenant_head_ddl",
    "verify_schemas",
]
