"""Gateway shards: which shard a guild belongs to, and the shard ranges a process serves.

Discord splits a bot's guilds over ``shard_count`` gateway connections; guild ``g`` belongs to
shard ``(g >> 22) % shard_count`` (the top bits of a snowflake are its timestamp, so guilds
spread evenly). A process serves the shards in ``SHARD_IDS`` (``0-3``, ``0,2``, ``0-1,6``);
several processes over one database each serve a disjoint range.

A leaf module (no disnake, no database) so the settings, the bot and the tenancy core share
one definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Discord refuses more shards than this for one bot (very large bots ask Discord for more).
MAX_SHARDS = 16384

SHARD_IDS_FORMAT = "shard ids or ranges separated by commas, e.g. 0-3 or 0,2"


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard a guild's events arrive on: ``(guild_id >> 22) % shard_count``."""
    if shard_count < 1:
        raise ValueError("shard_count must be 1 or more")
    return (guild_id >> 22) % shard_count


def _shard_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{text!r} is not a shard id ({SHARD_IDS_FORMAT})")
    return int(text)


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """``"0-2,5"`` → ``(0, 1, 2, 5)``: sorted, each id once; raises ValueError naming the part.

    An empty text is an error too (leave the setting unset to serve every shard).
    """
    ids: set[int] = set()
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise ValueError(f"no shard ids given ({SHARD_IDS_FORMAT})")
    for part in parts:
        first, dash, last = part.partition("-")
        low = _shard_id(first.strip())
        high = _shard_id(last.strip()) if dash else low
        if high < low:
            raise ValueError(f"range {part!r} runs backwards; write it as {high}-{low}")
        if high >= MAX_SHARDS:
            raise ValueError(f"shard id {high} is too large (at most {MAX_SHARDS - 1})")
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def format_shard_ids(ids: Iterable[int]) -> str:
    """``(0, 1, 2, 5)`` → ``"0-2,5"`` (for logs and /healthz)."""
    ranges: list[str] = []
    ordered = sorted(set(ids))
    start = 0
    for index, shard in enumerate(ordered):
        last = index + 1 == len(ordered) or ordered[index + 1] != shard + 1
        if last:
            low = ordered[start]
            ranges.append(str(low) if low == shard else f"{low}-{shard}")
            start = index + 1
    return ",".join(ranges)


@dataclass(frozen=True)
class ShardScope:
    """The shards one process serves out of ``shard_count``."""

    shard_ids: tuple[int, ...]
    shard_count: int

    def __post_init__(self) -> None:
        if self.shard_count < 1:
            raise ValueError("shard_count must be 1 or more")
        outside = [s for s in self.shard_ids if not 0 <= s < self.shard_count]
        if outside:
            raise ValueError(
                f"shard id {outside[0]} is outside 0-{self.shard_count - 1} "
                f"(SHARD_COUNT is {self.shard_count})"
            )

    def owns(self, guild_id: int) -> bool:
        """Whether this process receives the guild's events."""
        return shard_of(guild_id, self.shard_count) in self.shard_ids
