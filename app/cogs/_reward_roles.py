"""Giving members the roles their level earned (``/config reward``), and saying why not.

Discord lets a bot give a role only with Manage Roles and only below its own highest role;
roles managed by an integration (and @everyone) can be given by nobody. Each refusal is
named with its fix instead of failing with Discord's bare 403.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import disnake

from app.cogs import _rewards as rewards
from app.i18n import UserFacingError
from app.models.tenant import RoleReward
from app.tenancy import guild_db

log = logging.getLogger(__name__)

REASON = "Guildhall level reward"


def role_problem(
    guild: disnake.Guild, role: disnake.Role | None, role_id: int
) -> UserFacingError | None:
    """Why the bot cannot give ``role`` (None: it can)."""
    mention = f"<@&{role_id}>"
    if role is None:
        return UserFacingError("rewards.role_gone", role=mention)
    if role.managed or role.is_default():
        return UserFacingError("rewards.role_managed", role=mention)
    me = guild.me
    if not me.guild_permissions.manage_roles:
        return UserFacingError("rewards.no_manage_roles", role=mention)
    if role >= me.top_role:
        return UserFacingError("rewards.role_too_high", role=mention)
    return None


@dataclass
class SyncResult:
    """What syncing a member's reward roles did, and what it could not do."""

    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    problems: list[UserFacingError] = field(default_factory=list)


async def sync_member(
    member: disnake.Member, level: int, rewards: list[RoleReward], *, remove_above: bool
) -> SyncResult:
    """Give ``member`` every reward role up to ``level``; with ``remove_above``, take away
    the reward roles of higher levels (after /xp reset, or a lowered reward)."""
    result = SyncResult()
    held = {role.id for role in member.roles}
    for reward in rewards:
        wanted = reward.level <= level
        if wanted == (reward.role_id in held) or (not wanted and not remove_above):
            continue
        role = member.guild.get_role(reward.role_id)
        problem = role_problem(member.guild, role, reward.role_id)
        if problem is not None:
            result.problems.append(problem)
            continue
        assert role is not None  # role_problem refuses a missing role
        try:
            if wanted:
                await member.add_roles(role, reason=REASON)
                result.added.append(role.id)
            else:
                await member.remove_roles(role, reason=REASON)
                result.removed.append(role.id)
        except disnake.Forbidden:
            # The checks above match Discord's rules; a 403 still means a permission
            # changed in between (or a channel-level rule we cannot see).
            result.problems.append(UserFacingError("rewards.no_manage_roles", role=role.mention))
    return result


def log_problems(result: SyncResult, user_id: int) -> None:
    """On level-up nobody waits for an answer: each problem becomes one warning line."""
    for problem in result.problems:
        log.warning(
            "could not give a reward role to user %s: %s %s", user_id, problem.key, problem.params
        )


async def reward_level_up(message: disnake.Message, level: int) -> None:
    """Give the author of ``message``, who just reached ``level``, the roles it earned."""
    member = message.author
    if message.guild is None or not isinstance(member, disnake.Member):
        return
    try:
        async with guild_db(message.guild.id):
            found = await rewards.rewards()
    except Exception as exc:
        # Disabled since the message was counted, or an outage: the next /xp sync catches up.
        log.warning("could not read the role rewards for user %s: %r", member.id, exc)
        return
    if found:
        log_problems(await sync_member(member, level, found, remove_above=False), member.id)
