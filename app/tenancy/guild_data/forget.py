"""A data-deletion request: remove one user's data from every guild schema and the shared one.

Each guild is handled by
:func:`app.tenancy.guild_data.privacy.forget_user_in_bound_guild` (the tenant models'
``user_data`` policies) in its own binding and transaction, whatever the guild's status — a
disabled or left guild still holds the user's data. A few guilds at a time; one
guild failing is reported and the others go on, so a re-run finishes the job (it is
idempotent).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from app.models.shared import Tenant, User
from app.snowflake import SNOWFLAKE_RANGE, parse_snowflake
from app.tenancy.connections.binding import guild_db
from app.tenancy.connections.config import SHARED_ALIAS
from app.tenancy.guild_data.privacy import forget_user_in_bound_guild

log = logging.getLogger(__name__)

#: Guilds handled at once; each holds one per-guild client lease while it runs.
DEFAULT_JOBS = 4


def parse_user_id(value: object) -> int:
    """A Discord user id from an int or a string of digits; else ValueError."""
    user_id = parse_snowflake(value)
    if user_id is None:
        raise ValueError(f"{value!r} is not a Discord user id ({SNOWFLAKE_RANGE})")
    return user_id


@dataclass(frozen=True)
class GuildForgetResult:
    """Rows deleted or anonymised per table in one guild, or why it failed."""

    guild_id: int
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class ForgetReport:
    """What a data-deletion request did everywhere."""

    user_id: int
    guilds: list[GuildForgetResult] = field(default_factory=list)
    #: Rows deleted in the shared schema per table (``user``).
    shared: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> list[GuildForgetResult]:
        """Guilds where the request could not be carried out (re-run to finish)."""
        return [g for g in self.guilds if g.error is not None]

    @property
    def touched(self) -> list[GuildForgetResult]:
        """Guilds where something was deleted or anonymised."""
        return [g for g in self.guilds if g.counts]


async def _forget_in_guild(user_id: int, guild_id: int, status: str) -> GuildForgetResult:
    try:
        async with guild_db(guild_id, require_active=False):
            counts = await forget_user_in_bound_guild(user_id)
    except Exception as exc:  # reported per guild; the others go on
        log.warning("forgetting a user failed: %s", exc, extra={"guild_id": guild_id})
        return GuildForgetResult(guild_id, status, error=" ".join(str(exc).split()) or repr(exc))
    if counts:
        log.info("forgot a user: %s", counts, extra={"guild_id": guild_id})
    return GuildForgetResult(guild_id, status, counts)


async def forget_user_everywhere(user_id: int, *, jobs: int = DEFAULT_JOBS) -> ForgetReport:
    """Delete or anonymise ``user_id``'s rows in every guild (any status) and in shared.

    Runs ``jobs`` guilds at a time. The shared ``user`` row goes too (even if a guild failed:
    that part is independent, and a re-run is harmless).
    """
    user_id = parse_user_id(user_id)
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    tenants = await Tenant.all().order_by("guild_id").values_list("guild_id", "status")
    pending = iter(tenants)
    results: list[GuildForgetResult] = []

    async def worker() -> None:
        # Workers pull from one iterator: no task per guild, whatever the number of guilds.
        for guild_id, status in pending:
            results.append(await _forget_in_guild(user_id, int(guild_id), str(status)))

    await asyncio.gather(*(worker() for _ in range(min(jobs, max(len(tenants), 1)))))
    report = ForgetReport(user_id, sorted(results, key=lambda r: r.guild_id))
    async with in_transaction(SHARED_ALIAS) as conn:
        # An opt-out is kept: it is the record that says "never track this user again", and
        # deleting it would silently turn tracking back on. It holds nothing but the id.
        deleted = await User.filter(user_id=user_id, tracking_opt_out=False).using_db(conn).delete()
    if deleted:
        report.shared["user"] = deleted
    log.info(
        "data-deletion request done: %d guild(s) checked, %d had data, %d failed, shared %s",
        len(report.guilds),
        len(report.touched),
        len(report.failed),
        report.shared or "nothing",
    )
    return report
