"""What ``guildhall doctor`` reports: one :class:`Finding` per thing it checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["ok", "info", "warning", "error"]


@dataclass(frozen=True)
class Finding:
    """One thing doctor checked: how it stands and, unless ok, the fix."""

    check: str
    level: Level
    message: str
    fix: str = ""
