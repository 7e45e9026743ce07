"""The in-memory model the state machine checks the real guilds against."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Who a forgotten author becomes (app.models.privacy's GHOST_USER_ID).
GHOST = 0


@dataclass
class GuildModel:
    """What one guild should hold: its status (None: not provisioned), tags and notes."""

    status: str | None = None
    #: name_key → (name, content, author_id)
    tags: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    #: note id → (target_user_id, author_id, content)
    notes: dict[int, tuple[int, int, str]] = field(default_factory=dict)

    @property
    def served(self) -> bool:
        """Whether commands may use the guild's data."""
        return self.status == "active"

    def provision(self) -> None:
        """Provisioning is idempotent: a new guild starts active and empty."""
        if self.status is None:
            self.status = "active"

    def purge(self) -> None:
        """Schema, role and registry row gone."""
        self.status, self.tags, self.notes = None, {}, {}

    def leave(self) -> None:
        """An operator's disable survives leaving; an active guild becomes left."""
        if self.status == "active":
            self.status = "left"

    def rejoin(self) -> None:
        """A left guild is active again; a new one is provisioned; a disabled one stays."""
        if self.status is None or self.status == "left":
            self.status = "active"

    def forget(self, user_id: int) -> None:
        """Notes about the user go; what the user wrote loses its author."""
        self.notes = {
            note_id: (target, GHOST if author == user_id else author, content)
            for note_id, (target, author, content) in self.notes.items()
            if target != user_id
        }
        self.tags = {
            key: (name, content, GHOST if author == user_id else author)
            for key, (name, content, author) in self.tags.items()
        }
