"""/xp give, /xp reset and /xp sync: moderators (Manage Server) adjust a member's XP and
bring their reward roles in line with their level."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import disnake
from disnake.ext import commands

from app.cogs import _rewards as rewards
from app.cogs._common import GuildInter, reply, tr
from app.cogs._cooldowns import cooldown
from app.cogs._reward_roles import SyncResult, sync_member
from app.cogs.ranks import _admin_store as admin
from app.cogs.ranks import _store as ranks
from app.i18n import UserFacingError, localized
from app.models.tenant import Member, RoleReward
from app.tenancy import guild_db

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def member_option() -> Any:
    """The ``member`` option (a new Param each time: disnake binds a Param to one command)."""
    return commands.Param(
        name=localized("OPTION_XP_MEMBER_NAME"),
        description=localized("OPTION_XP_MEMBER_DESCRIPTION"),
    )


def roles_text(inter: GuildInter, role_ids: list[int]) -> str:
    """Role mentions, or "none"."""
    return ", ".join(f"<@&{r}>" for r in role_ids) or tr(inter, "xp.roles_none")


def sync_text(inter: GuildInter, result: SyncResult) -> str:
    """What a sync did, and each role it could not give or take (with the fix)."""
    lines = [
        tr(
            inter,
            "xp.synced",
            added=roles_text(inter, result.added),
            removed=roles_text(inter, result.removed),
        )
    ]
    lines += [tr(inter, p.key, **p.params) for p in result.problems]
    return "\n".join(lines)


async def send_with_sync(
    inter: GuildInter, text: str, result: SyncResult, *, changed: bool
) -> None:
    """Reply ``text``, followed by what happened to reward roles when anything did."""
    if changed or result.problems:
        text += "\n" + sync_text(inter, result)
    await inter.response.send_message(text, ephemeral=True)


def admin_command(parent: Any, key: str) -> Callable[[F], F]:
    """An /xp sub-command named and described by ``XP_<key>_NAME`` / ``_DESCRIPTION``, its
    uses counted against the "xp" cooldowns (``COOLDOWN_XP_*``)."""

    def decorate(func: F) -> F:
        checked = cooldown("xp")(func)
        name, description = localized(f"XP_{key}_NAME"), localized(f"XP_{key}_DESCRIPTION")
        return parent.sub_command(name=name, description=description)(checked)  # type: ignore[no-any-return]

    return decorate


async def with_rewards(
    inter: GuildInter, work: Callable[[], Awaitable[T]]
) -> tuple[T, list[RoleReward]]:
    """``work()`` and the guild's reward rules, both in one binding of the guild's schema."""
    async with guild_db(inter.guild_id):
        return await work(), await rewards.rewards()


class XpAdmin(commands.Cog):
    """Moderators' XP tools."""

    def __init__(self, bot: commands.InteractionBot) -> None:
        self.bot = bot

    @commands.slash_command(
        name=localized("XP_NAME"),
        description=localized("XP_DESCRIPTION"),
        default_member_permissions=disnake.Permissions(manage_guild=True),
    )
    async def xp(self, inter: GuildInter) -> None:
        """Parent of the /xp sub-commands (never runs on its own)."""

    @admin_command(xp, "GIVE")
    async def give(
        self,
        inter: GuildInter,
        member: disnake.Member = member_option(),  # noqa: B008 (disnake's Param idiom)
        amount: int = commands.Param(
            name=localized("OPTION_XP_AMOUNT_NAME"),
            description=localized("OPTION_XP_AMOUNT_DESCRIPTION"),
            ge=1,
            le=admin.GIVE_MAX,
        ),
    ) -> None:
        """Add XP to a member; reward roles of the levels reached are given."""

        async def give_unless_opted_out() -> Member:
            if await ranks.is_opted_out(member.id):
                # They asked not to be tracked: no row is made for them, even by a moderator.
                raise UserFacingError("xp.opted_out", member=member.mention)
            return await admin.give(member.id, amount)

        found, rules = await with_rewards(inter, give_unless_opted_out)
        result = await sync_member(member, found.level, rules, remove_above=False)
        text = tr(
            inter, "xp.given", amount=amount, member=member.mention, level=found.level, xp=found.xp
        )
        await send_with_sync(inter, text, result, changed=bool(result.added))

    @admin_command(xp, "RESET")
    async def reset(
        self,
        inter: GuildInter,
        member: disnake.Member = member_option(),  # noqa: B008 (disnake's Param idiom)
    ) -> None:
        """Set a member's XP and level to 0 and take away their reward roles."""
        had_xp, rules = await with_rewards(inter, lambda: admin.reset(member.id))
        if not had_xp:
            await reply(inter, "xp.reset_nothing", member=member.mention)
            return
        result = await sync_member(member, 0, rules, remove_above=True)
        text = tr(inter, "xp.reset", member=member.mention)
        await send_with_sync(inter, text, result, changed=bool(result.removed))

    @admin_command(xp, "SYNC")
    async def sync(
        self,
        inter: GuildInter,
        member: disnake.Member = member_option(),  # noqa: B008 (disnake's Param idiom)
    ) -> None:
        """Give the reward roles of the member's level and take away those above it."""
        level, rules = await with_rewards(inter, lambda: admin.level_of(member.id))
        result = await sync_member(member, level, rules, remove_above=True)
        header = tr(inter, "xp.sync_header", member=member.mention, level=level)
        await inter.response.send_message(f"{header}\n{sync_text(inter, result)}", ephemeral=True)
