"""The bot freezes its start-up objects once a READY is reconciled, and thaws them on close."""

from __future__ import annotations

import gc

import pytest

from app.tenancy import Tenancy
from tests.e2e.world import eventually, open_world

pytestmark = pytest.mark.e2e


async def test_ready_freezes_the_start_up_heap_and_close_thaws_it(tenancy: Tenancy) -> None:
    gc.unfreeze()

    async def frozen() -> int:
        return gc.get_freeze_count()

    async with open_world(tenancy, startup=["Frozen Guild"]) as world:
        assert await eventually(frozen) > 0
        assert world.bot.is_ready()
    assert gc.get_freeze_count() == 0, "the closed bot left its objects frozen"
