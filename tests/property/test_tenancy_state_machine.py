"""A Hypothesis state machine over several guilds (issue 13, item 7).

Rules provision, disable, enable, leave, rejoin and purge guilds, create, edit and delete tags,
add and remove notes, forget users and pin guilds to the pinned tier (the others use the shared
tier), several guilds at once in concurrent tasks. After every step the real registry and the
real guild schemas are compared with the in-memory model: no row in a wrong schema, no
acknowledged write lost, no disabled, left or purged guild served.

The machine runs in a worker thread; each step's coroutines run on the test's event loop,
which owns the tenancy core.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from app.cogs.notes import _store as notes_store
from app.cogs.tags import _store as tags_store
from app.models.shared import Tenant
from app.models.tenant import Note, Tag
from app.tenancy import (
    Tenancy,
    TenantNotFound,
    TenantUnavailable,
    forget_user_in_bound_guild,
    guild_db,
    purge_tenant,
)
from tests.property.model import GuildModel

T = TypeVar("T")
GUILDS = 4
USERS = st.integers(min_value=1, max_value=3)
#: Few names, in several cases: collisions and case-insensitive clashes are the point.
NAMES = st.sampled_from(["rules", "Rules", "FAQ", "faq", "links", "Straße", "STRASSE"])
CONTENT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1,
                  max_size=40).filter(lambda text: text.strip() == text and text != "")  # fmt: skip
SOME_GUILDS = st.lists(st.integers(0, GUILDS - 1), min_size=1, max_size=3, unique=True)
STEP_TIMEOUT_S = 60
_ids = itertools.count(secrets.randbelow(10**5) * 10**6 + 7 * 10**17)
#: Model checks run (one after each step and after each machine's start), for the report.
steps = itertools.count()


class TenancyMachine(RuleBasedStateMachine):
    """Guilds driven through the tenancy core, checked against :class:`GuildModel`."""

    tenancy: Tenancy
    loop: asyncio.AbstractEventLoop

    def __init__(self) -> None:
        super().__init__()
        self.ids = [next(_ids) for _ in range(GUILDS)]
        self.model = {guild_id: GuildModel() for guild_id in self.ids}

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the test's loop and wait for it (bounded)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(STEP_TIMEOUT_S)

    def gather(self, *coros: Awaitable[Any]) -> list[Any]:
        """Run coroutines concurrently, each in its own task; exceptions come back as values."""

        async def together() -> list[Any]:
            return list(await asyncio.gather(*coros, return_exceptions=True))

        return self.run(together())

    def guilds(self, indexes: list[int]) -> list[int]:
        return [self.ids[i] for i in indexes]

    @initialize()
    def provision_some(self) -> None:
        self.provision([0, 1])

    # --- registry --------------------------------------------------------------------------

    @rule(indexes=SOME_GUILDS)
    def provision(self, indexes: list[int]) -> None:
        for result in self.gather(*(self.tenancy.provision(g) for g in self.guilds(indexes))):
            assert not isinstance(result, BaseException), result
        for guild_id in self.guilds(indexes):
            self.model[guild_id].provision()

    def _status_change(self, indexes: list[int], change: str) -> None:
        targets = [g for g in self.guilds(indexes) if self.model[g].status is not None]
        method = getattr(self.tenancy, change)
        for result in self.gather(*(method(g) for g in targets)):
            assert not isinstance(result, BaseException), result

    @rule(indexes=SOME_GUILDS)
    def disable(self, indexes: list[int]) -> None:
        self._status_change(indexes, "disable")
        for guild_id in self.guilds(indexes):
            if self.model[guild_id].status is not None:
                self.model[guild_id].status = "disabled"

    @rule(indexes=SOME_GUILDS)
    def enable(self, indexes: list[int]) -> None:
        self._status_change(indexes, "enable")
        for guild_id in self.guilds(indexes):
            if self.model[guild_id].status is not None:
                self.model[guild_id].status = "active"

    @rule(indexes=SOME_GUILDS)
    def leave(self, indexes: list[int]) -> None:
        self._status_change(indexes, "mark_left")
        for guild_id in self.guilds(indexes):
            self.model[guild_id].leave()

    @rule(indexes=SOME_GUILDS)
    def rejoin(self, indexes: list[int]) -> None:
        results = self.gather(*(self.tenancy.mark_joined(g) for g in self.guilds(indexes)))
        assert not [r for r in results if isinstance(r, BaseException)], results
        for guild_id in self.guilds(indexes):
            self.model[guild_id].rejoin()

    @rule(index=st.integers(0, GUILDS - 1))
    def purge(self, index: int) -> None:
        guild_id = self.ids[index]
        if self.model[guild_id].status is None:
            return
        self.run(purge_tenant(guild_id, force=True, tenancy=self.tenancy))
        self.model[guild_id].purge()

    @rule(index=st.integers(0, GUILDS - 1))
    def pin(self, index: int) -> None:
        """Move a served guild to the pinned tier (the others stay on the shared tier)."""
        if self.model[self.ids[index]].served:
            self.run(self.tenancy.connections.pin(self.ids[index]))

    # --- guild data --------------------------------------------------------------------------

    def _in_guilds(self, indexes: list[int], work: Any) -> list[Any]:
        """``work(guild_id)`` inside ``guild_db`` for each guild, concurrently."""

        async def one(guild_id: int) -> Any:
            async with guild_db(guild_id):
                return await work(guild_id)

        results = self.gather(*(one(g) for g in self.guilds(indexes)))
        for guild_id, result in zip(self.guilds(indexes), results, strict=True):
            served = self.model[guild_id].served
            if isinstance(result, TenantUnavailable | TenantNotFound):
                assert not served, f"guild {guild_id} refused while {self.model[guild_id]}"
            else:
                assert not isinstance(result, BaseException), result
                assert served, f"guild {guild_id} served while {self.model[guild_id].status}"
        return results

    @rule(indexes=SOME_GUILDS, name=NAMES, content=CONTENT, author=USERS)
    def create_tag(self, indexes: list[int], name: str, content: str, author: int) -> None:
        async def work(guild_id: int) -> Any:
            return await tags_store.create(name, f"{guild_id}:{content}", author)

        for guild_id, made in zip(
            self.guilds(indexes), self._in_guilds(indexes, work), strict=True
        ):
            key = name.casefold()
            if not self.model[guild_id].served:
                continue
            if key in self.model[guild_id].tags:
                assert made is None, "a second tag with the same name (ignoring case)"
            else:
                assert made is not None
                self.model[guild_id].tags[key] = (name, f"{guild_id}:{content}", author)

    @rule(indexes=SOME_GUILDS, name=NAMES, content=CONTENT)
    def edit_tag(self, indexes: list[int], name: str, content: str) -> None:
        async def work(guild_id: int) -> bool:
            tag = await tags_store.get(name)
            return tag is not None and await tags_store.edit(tag.id, f"{guild_id}:{content}")

        for guild_id, edited in zip(
            self.guilds(indexes), self._in_guilds(indexes, work), strict=True
        ):
            guild = self.model[guild_id]
            if guild.served:
                assert edited == (name.casefold() in guild.tags)
                if edited:
                    old_name, _, author = guild.tags[name.casefold()]
                    guild.tags[name.casefold()] = (old_name, f"{guild_id}:{content}", author)

    @rule(indexes=SOME_GUILDS, name=NAMES)
    def delete_tag(self, indexes: list[int], name: str) -> None:
        async def work(guild_id: int) -> bool:
            tag = await tags_store.get(name)
            return tag is not None and await tags_store.delete(tag.id)

        for guild_id, deleted in zip(
            self.guilds(indexes), self._in_guilds(indexes, work), strict=True
        ):
            guild = self.model[guild_id]
            if guild.served:
                assert deleted == (name.casefold() in guild.tags)
                guild.tags.pop(name.casefold(), None)

    @rule(indexes=SOME_GUILDS, about=USERS, author=USERS, content=CONTENT)
    def add_note(self, indexes: list[int], about: int, author: int, content: str) -> None:
        async def work(guild_id: int) -> int:
            return (await notes_store.add(about, author, f"{guild_id}:{content}")).id

        for guild_id, note_id in zip(
            self.guilds(indexes), self._in_guilds(indexes, work), strict=True
        ):
            if self.model[guild_id].served:
                self.model[guild_id].notes[note_id] = (about, author, f"{guild_id}:{content}")

    @rule(index=st.integers(0, GUILDS - 1), pick=st.integers(0, 5))
    def remove_note(self, index: int, pick: int) -> None:
        guild = self.model[self.ids[index]]
        known = sorted(guild.notes)
        note_id = known[pick % len(known)] if known else 10**9  # a missing id: nothing removed

        async def work(guild_id: int) -> bool:
            return await notes_store.remove(note_id)

        (removed,) = self._in_guilds([index], work)
        if guild.served:
            assert removed == (note_id in guild.notes)
            guild.notes.pop(note_id, None)

    @rule(user=USERS)
    def forget(self, user: int) -> None:
        """A data-deletion request: every provisioned guild, whatever its status, at once."""
        targets = [g for g in self.ids if self.model[g].status is not None]

        async def one(guild_id: int) -> None:
            async with guild_db(guild_id, require_active=False):
                await forget_user_in_bound_guild(user)

        for result in self.gather(*(one(g) for g in targets)):
            assert not isinstance(result, BaseException), result
        for guild_id in targets:
            self.model[guild_id].forget(user)

    # --- what must hold after every step -------------------------------------------------

    @invariant()
    def matches_the_model(self) -> None:
        next(steps)
        self.run(self._check())

    async def _check(self) -> None:
        rows = {r.guild_id: r for r in await Tenant.filter(guild_id__in=self.ids)}
        for guild_id, guild in self.model.items():
            row = rows.get(guild_id)
            if guild.status is None:
                assert row is None, f"guild {guild_id} purged but still registered"
                continue
            assert row is not None and str(row.status) == guild.status, (row, guild.status)
            async with guild_db(guild_id, require_active=False):
                tags = {t.name_key: (t.name, t.content, t.author_id) for t in await Tag.all()}
                notes = {n.id: (n.target_user_id, n.author_id, n.content) for n in await Note.all()}
            assert tags == guild.tags, f"guild {guild_id} tags differ"
            assert notes == guild.notes, f"guild {guild_id} notes differ"
            try:
                async with guild_db(guild_id):
                    served = True
            except TenantUnavailable:
                served = False
            assert served == guild.served, f"guild {guild_id}: served={served}, {guild.status}"

    def teardown(self) -> None:
        """Purge this machine's guilds: the test database is shared with other tests."""
        for guild_id in self.ids:
            if self.model[guild_id].status is not None:
                self.run(purge_tenant(guild_id, force=True, tenancy=self.tenancy))


async def test_tenancy_matches_its_model_after_every_step(tenancy: Tenancy) -> None:
    """Random sequences of registry and data operations keep every guild equal to the model."""
    TenancyMachine.tenancy = tenancy
    TenancyMachine.loop = asyncio.get_running_loop()
    before = next(steps)
    await asyncio.to_thread(TenancyMachine.TestCase().runTest)
    print(f"model checks (one per step): {next(steps) - before - 1}")
