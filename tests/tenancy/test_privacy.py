"""Data-deletion requests follow each model's declared policy, in one guild only."""

from __future__ import annotations

from app.models.privacy import UserDataPolicy
from app.models.tenant import Member, Note, Tag
from app.tenancy import guild_db
from app.tenancy.guild_data.privacy import forget_user_in_bound_guild, user_data_policies


def test_every_tenant_model_declares_a_user_data_policy(tenancy) -> None:
    """A model without a policy makes user_data_policies() raise; all of ours have one."""
    policies = user_data_policies()
    assert {Member, Tag, Note} <= set(policies)
    assert all(isinstance(p, UserDataPolicy) for p in policies.values())


async def test_forget_user_deletes_and_anonymises_in_bound_guild_only(provisioned) -> None:
    """Member rows and notes about the user go; authored tags/notes stay without author."""
    a, b = await provisioned(), await provisioned()
    for guild_id in (a, b):
        async with guild_db(guild_id):
            await Member.create(user_id=7, xp=50)
            await Tag.create(name="t", name_key="t", content="c", author_id=7)
            await Note.create(target_user_id=7, author_id=1, content="about 7")
            await Note.create(target_user_id=2, author_id=7, content="by 7")
    async with guild_db(a):
        counts = await forget_user_in_bound_guild(7)
        assert counts == {"member": 1, "tag": 1, "note": 2}
        assert not await Member.filter(user_id=7).exists()
        assert (await Tag.get(name_key="t")).author_id == 0
        assert [n.content for n in await Note.all()] == ["by 7"]
        assert (await Note.get(content="by 7")).author_id == 0
    async with guild_db(b):
        assert await Member.filter(user_id=7).exists()
        assert await Note.all().count() == 2
