"""What ``guildhall db verify`` found: drifted schemas, orphans and leftovers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.tenancy.schemas.verify.compare import Difference


@dataclass(frozen=True)
class Drift:
    """A guild schema (or a ready spare) that is not what its recorded version should be."""

    schema: str
    guild_id: int | None
    version: str
    differences: list[Difference] = field(default_factory=list)
    #: Why the schema could not be compared at all (an unknown version), if so.
    problem: str = ""

    def __str__(self) -> str:
        where = f"spare {self.schema}"
        if self.guild_id is not None:
            where = f"guild {self.guild_id} ({self.schema})"
        what = self.problem or "; ".join(str(d) for d in self.differences) or "differs"
        return f"{where}: {what}"

    def to_json(self) -> dict[str, Any]:
        """The drift for ``--json``."""
        return {
            "guild_id": self.guild_id,
            "schema": self.schema,
            "version": self.version,
            "problem": self.problem or None,
            "differences": [d.to_json() for d in self.differences],
            "summary": str(self),
        }


@dataclass
class VerifyReport:
    """Everything one verification found."""

    #: Guild schemas (and ready spares) compared with their reference.
    checked: int = 0
    drifted: list[Drift] = field(default_factory=list)
    #: Registered guilds whose schema does not exist: guild id → schema name.
    missing_schemas: dict[int, str] = field(default_factory=dict)
    #: ``guild_<id>`` schemas without a registry row.
    unregistered_schemas: list[str] = field(default_factory=list)
    #: Spare schemas marked for another release, and makemigrations' scratch schemas.
    leftover_spares: list[str] = field(default_factory=list)
    leftover_scratch: list[str] = field(default_factory=list)
    #: Spare schemas of this release, ready for joining guilds (not a problem).
    spares_ready: int = 0
    seconds: float = 0.0

    @property
    def problems(self) -> int:
        """How many things are wrong (0: the database is what the code expects)."""
        return (
            len(self.drifted)
            + len(self.missing_schemas)
            + len(self.unregistered_schemas)
            + len(self.leftover_spares)
            + len(self.leftover_scratch)
        )

    @property
    def ok(self) -> bool:
        """True when nothing drifted and nothing is orphaned or left over."""
        return self.problems == 0

    def lines(self) -> list[str]:
        """One line per problem, drifted guilds first."""
        lines = [str(drift) for drift in self.drifted]
        lines += [
            f"guild {guild_id} ({schema}): registered, but the schema does not exist; "
            f"`guildhall tenants provision {guild_id}` recreates it at the head"
            for guild_id, schema in sorted(self.missing_schemas.items())
        ]
        lines += [f"schema {name}: no registry row" for name in self.unregistered_schemas]
        lines += [
            f"schema {name}: a spare left from another release (the bot drops it at its next "
            "refill)"
            for name in self.leftover_spares
        ]
        lines += [f"schema {name}: a leftover scratch schema" for name in self.leftover_scratch]
        return lines

    def summary(self) -> str:
        """The closing line."""
        spares = f", {self.spares_ready} spare(s) ready" if self.spares_ready else ""
        if self.ok:
            return f"all {self.checked} schema(s) match their recorded versions{spares}"
        return (
            f"{self.problems} problem(s): {len(self.drifted)} of {self.checked} schema(s) drifted, "
            f"{len(self.missing_schemas)} registered guild(s) without schema, "
            f"{len(self.unregistered_schemas)} guild schema(s) without registry row, "
            f"{len(self.leftover_spares) + len(self.leftover_scratch)} leftover schema(s)"
            f"{spares}"
        )

    def to_json(self) -> dict[str, Any]:
        """The report for ``--json``."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "seconds": round(self.seconds, 3),
            "drifted": [d.to_json() for d in self.drifted],
            "missing_schemas": [
                {"guild_id": g, "schema": s} for g, s in sorted(self.missing_schemas.items())
            ],
            "unregistered_schemas": self.unregistered_schemas,
            "leftover_spares": self.leftover_spares,
            "leftover_scratch": self.leftover_scratch,
            "spares_ready": self.spares_ready,
        }
