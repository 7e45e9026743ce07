"""Store tests run against a freshly provisioned guild on the real test database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest


@pytest.fixture
async def guild_id(provisioned: Callable[[], Awaitable[int]]) -> int:
    """A new, active guild; bind it with ``async with guild_db(guild_id):`` in the test."""
    return await provisioned()
