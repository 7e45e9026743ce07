"""The privacy store: the global opt-out and forgetting a user in one guild."""

from __future__ import annotations

import asyncio

from app.cogs.privacy import _store as privacy
from app.models.privacy import GHOST_USER_ID
from app.models.shared import User
from app.models.tenant import Member, Note, Tag
from app.tenancy import guild_db

USER = 700_000_000_000_000_001


async def test_set_opt_out_upserts_the_shared_user() -> None:
    """Opting out creates or updates one row; opting in clears the flag."""
    await privacy.set_opt_out(USER, True)
    await privacy.set_opt_out(USER, True)
    assert (await User.get(user_id=USER)).tracking_opt_out
    await privacy.set_opt_out(USER, False)
    assert not (await User.get(user_id=USER)).tracking_opt_out


async def test_concurrent_opt_outs_do_not_fail() -> None:
    """Two opt-outs racing to create the row both succeed and leave one row."""
    user_id = USER + 1
    await asyncio.gather(*(privacy.set_opt_out(user_id, True) for _ in range(5)))
    assert await User.filter(user_id=user_id).count() == 1


async def test_forget_here_applies_the_model_policies(guild_id: int) -> None:
    """The member row and notes about the user go; authored rows lose their author."""
    async with guild_db(guild_id):
        await Member.create(user_id=USER, xp=10)
        await Note.create(target_user_id=USER, author_id=2, content="about")
        await Note.create(target_user_id=3, author_id=USER, content="by")
        await Tag.create(name="t", name_key="t", content="x", author_id=USER)
        touched = await privacy.forget_here(USER)
        assert touched == {"member": 1, "note": 2, "tag": 1}
        assert not await Member.filter(user_id=USER).exists()
        assert await Note.all().values_list("content", "author_id") == [("by", GHOST_USER_ID)]
        assert (await Tag.get(name_key="t")).author_id == GHOST_USER_ID
