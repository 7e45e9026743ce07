"""How one schema differs from its reference, in words an operator can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.tenancy.naming import SPARE_PATTERN, guild_id_of, role_for, spare_role
from app.tenancy.schemas.verify.shape import Item

#: How a kind of item is named in a summary ("default of member.xp changed").
_LABELS = {"default": "default of", "schema": "schema"}
#: Changed definitions up to this length (both together) are shown in the one-line summary;
#: longer ones (index definitions) only in ``--json``.
_SHORT = 80
#: Owner differences are listed container first.
_OWNER_ORDER = {"schema": 0, "table": 1, "view": 1, "sequence": 2}


def expected_owner(schema: str, tag: str) -> str:
    """The role that should own every table, view and sequence of ``schema`` (a guild's or a
    spare's) in the database tagged ``tag``: the guild's own role, or the spare's.

    The schema itself stays the login's (:mod:`app.tenancy.schemas.roles`). This is the one
    place the rule lives.
    """
    if SPARE_PATTERN.match(schema):
        return spare_role(tag, schema)
    return role_for(tag, guild_id_of(schema))


@dataclass(frozen=True)
class Difference:
    """One difference between a schema and its reference."""

    kind: str
    name: str
    change: str  # "added", "missing", "changed" or "owner"
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        label = f"{_LABELS.get(self.kind, self.kind)} {self.name}".strip()
        if self.change == "owner":
            return f"{label} is owned by {self.found} instead of {self.expected}"
        if self.change == "changed" and len(f"{self.expected}{self.found}") <= _SHORT:
            return f"{label} changed ({self.expected} -> {self.found})"
        return f"{label} {self.change}"

    def to_json(self) -> dict[str, Any]:
        """The difference for ``--json``."""
        return {
            "kind": self.kind,
            "name": self.name,
            "change": self.change,
            "expected": self.expected,
            "found": self.found,
            "summary": str(self),
        }


def _reported(key: str, items: dict[str, Item], gone: set[str]) -> bool:
    """False when an ancestor of ``key`` is itself added or missing (named once, there)."""
    parent = items[key].parent
    while parent:
        if parent in gone:
            return False
        parent = items[parent].parent if parent in items else ""
    return True


def compare(
    found: dict[str, Item], reference: dict[str, Item], owner: str, login: str
) -> list[Difference]:
    """Differences of ``found`` from ``reference``: structure first, then ownership (the
    schema the ``login``'s, everything in it ``owner``'s)."""
    missing = reference.keys() - found.keys()
    added = found.keys() - reference.keys()
    gone = missing | added
    differences = [
        Difference(reference[k].kind, reference[k].name, "missing")
        for k in sorted(missing)
        if _reported(k, reference, gone)
    ]
    differences += [
        Difference(found[k].kind, found[k].name, "added")
        for k in sorted(added)
        if _reported(k, found, gone)
    ]
    for key in sorted(found.keys() & reference.keys()):
        want, have = reference[key], found[key]
        if want.definition != have.definition:
            differences.append(
                Difference(have.kind, have.name, "changed", want.definition, have.definition)
            )
    return differences + _owner_differences(found, owner, login, added, gone)


def _owner_differences(
    found: dict[str, Item], owner: str, login: str, added: set[str], gone: set[str]
) -> list[Difference]:
    """Objects not owned as they should be: the schema by the login, the rest by ``owner``."""
    differences = []
    for have in sorted(found.values(), key=lambda i: (_OWNER_ORDER.get(i.kind, 3), i.key)):
        # An added object is named as added: who owns it is beside the point. Indexes follow
        # their table's owner: naming the table is enough.
        if have.key in added or not _reported(have.key, found, gone) or have.kind == "index":
            continue
        want = login if have.kind == "schema" else owner
        if have.owner is not None and have.owner != want:
            differences.append(Difference(have.kind, have.name, "owner", want, have.owner))
    return differences
