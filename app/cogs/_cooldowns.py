"""Per-user and per-guild command cooldowns, through disnake's cooldown mechanism.

disnake gives a command one cooldown mapping (one bucket type). Guildhall needs two — a
user's own rate, and the guild's rate, so that a bot farm of many accounts in one guild is
bounded too — so :func:`cooldown` adds a check holding two disnake
:class:`~disnake.ext.commands.DynamicCooldownMapping` (``BucketType.user`` and
``BucketType.guild``) whose rates come from the settings (``COOLDOWN_<KIND>_USER`` and
``COOLDOWN_<KIND>_GUILD``), and raises disnake's
:class:`~disnake.ext.commands.CommandOnCooldown`, which the bot's one error handler turns into
a localized ephemeral reply. The user's bucket is checked first and the guild's is only
charged when the user's allowed the use: a member over their own limit never spends the
guild's share.

The buckets live on the bot (:class:`CommandLimits`), so two bots in one process (tests)
never share them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from disnake.ext import commands
from disnake.ext.commands import BucketType, Cooldown, CooldownMapping, DynamicCooldownMapping

from app.cogs._common import CommandInter
from app.rates import Rate
from app.settings import Settings

T = TypeVar("T")

#: The command kinds with cooldowns, and which commands use them.
KINDS = ("tag_create", "note_add", "xp")
#: How often a mapping drops the buckets of users (guilds) whose window has passed.
SWEEP_EVERY_S = 10.0


class _SweptMapping(DynamicCooldownMapping):
    """disnake's mapping, but sweeping expired buckets every few seconds instead of per use.

    disnake scans every bucket on each ``get_bucket``; with a bucket per user of every guild
    that scan cost ~0.3 ms per command in ``python -m bench fairness``. Swept every
    ``SWEEP_EVERY_S`` instead, a bucket outlives its window by at most that long.
    """

    _next_sweep = 0.0

    def _verify_cache_integrity(self, current: float | None = None) -> None:
        now = current or time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY_S
            super()._verify_cache_integrity(now)


class CommandLimits:
    """The cooldown buckets of one bot: per kind, one per user and one per guild."""

    def __init__(self, settings: Settings) -> None:
        self._mappings: dict[tuple[str, BucketType], CooldownMapping] = {}
        for kind in KINDS:
            for scope in (BucketType.user, BucketType.guild):
                rate: Rate | None = getattr(settings, f"cooldown_{kind}_{scope.name}")
                self._mappings[kind, scope] = _SweptMapping(_factory(rate), _key(scope))

    def charge(self, kind: str, inter: CommandInter) -> None:
        """Count one use of a ``kind`` command; raise ``CommandOnCooldown`` if over a rate."""
        current = time.time()
        user = self._mappings[kind, BucketType.user].get_bucket(inter, current)
        guild = self._mappings[kind, BucketType.guild].get_bucket(inter, current)
        if guild is not None and guild.get_tokens(current) == 0:
            raise commands.CommandOnCooldown(
                guild, guild.get_retry_after(current), BucketType.guild
            )
        if user is not None and (retry := user.update_rate_limit(current)):
            raise commands.CommandOnCooldown(user, retry, BucketType.user)
        if guild is not None:
            guild.update_rate_limit(current)


def _factory(rate: Rate | None) -> Callable[[CommandInter], Cooldown]:
    # None: no bucket, no limit (the setting is 0); disnake's mapping then caches nothing
    # and returns None, which charge() reads as "no limit" (its stub says Cooldown).
    def make(_inter: CommandInter) -> Cooldown:
        return None if rate is None else Cooldown(rate.uses, rate.seconds)  # type: ignore[return-value]

    return make


def _key(scope: BucketType) -> Callable[[CommandInter], int]:
    if scope is BucketType.guild:
        return lambda inter: inter.guild_id or inter.author.id
    return lambda inter: inter.author.id


def cooldown(kind: str) -> Callable[[T], T]:
    """Decorate a slash (sub-)command: its uses count against the ``kind`` cooldowns."""
    if kind not in KINDS:
        raise ValueError(f"unknown cooldown kind {kind!r}; expected one of {', '.join(KINDS)}")

    def predicate(inter: CommandInter) -> bool:
        limits: CommandLimits = inter.bot.limits
        limits.charge(kind, inter)
        return True

    return commands.app_check(predicate)
