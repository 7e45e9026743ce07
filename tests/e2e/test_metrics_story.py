"""``GET /metrics`` of a real ``guildhall run``, scraped while a fake Discord drives it."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.tenancy import Tenancy
from app.tenancy.connections.config import ServerAddress
from bench.fakediscord import FakeDiscord
from tests.e2e.conftest import DiscordWatch
from tests.e2e.guildhall_process import (
    START_TIMEOUT_S,
    GuildhallProcess,
    assert_no_bot_errors,
    guildhall_env,
    guildhall_run,
)
from tests.e2e.world import ALICE, APP_OWNER, eventually, wait_provisioned
from tests.ports import reserved_port

pytestmark = pytest.mark.e2e

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> tuple[str, Samples]:
    """The content type and every sample of ``url``, keyed by name and labels."""
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        text = await response.text()
        kind = response.headers["Content-Type"]
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return kind, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """One sample's value, or None when it is absent."""
    return samples.get((name, frozenset(labels.items())))


async def test_metrics_count_interactions_connections_and_guilds_during_a_run(
    tenancy: Tenancy, database: ServerAddress, tmp_path: Path, discord_watch: DiscordWatch
) -> None:
    """Commands by outcome with latency, connection counters, guilds and joins, scraped live."""
    fake = FakeDiscord(owner_ids=[APP_OWNER])
    guild = fake.add_guild(name="Metrics guild")
    discord_watch.watch(fake)
    port = reserved_port()
    url = f"http://127.0.0.1:{port}/metrics"
    async with fake:
        env = guildhall_env(
            DISCORD_TOKEN=fake.token,
            DISCORD_API_BASE=fake.api_base,
            DATABASE_URL=database.dsn,
            HEALTH_PORT=str(port),
        )
        async with guildhall_run(env, tmp_path) as bot:
            samples, kind = await drive_and_scrape(fake, guild.id, url, bot)
            await bot.stop()
    assert kind.startswith("text/plain; version=0.0.4")
    assert value(samples, "guildhall_interactions_total", command="tag create", outcome="ok") == 2
    assert value(samples, "guildhall_interaction_seconds_count", command="tag create") == 2
    bucket = value(samples, "guildhall_interaction_seconds_bucket", command="tag create", le="+Inf")
    assert bucket == 2
    assert value(samples, "guildhall_provisioning_total", outcome="ok") == 1
    assert (value(samples, "guildhall_guilds", status="active") or 0) >= 1
    assert value(samples, "guildhall_registry_up") == 1
    leases = sum(
        value(samples, "guildhall_tenant_leases_total", tier=t) or 0
        for t in ("pinned", "shared", "overflow")
    )
    assert leases >= 3
    assert value(samples, "guildhall_db_connections_open", tier="shared") is not None
    assert value(samples, "guildhall_tenant_evictions_total") is not None
    # Every garbage collection of the bot is timed (app/heap.py); start-up alone makes many.
    assert (value(samples, "guildhall_gc_pause_seconds_count", generation="0") or 0) >= 1
    assert_no_bot_errors(bot.output())


async def drive_and_scrape(
    fake: FakeDiscord, guild_id: int, url: str, bot: GuildhallProcess
) -> tuple[Samples, str]:
    """Two tag creations and a missing tag, then /metrics once it has counted them all."""
    try:
        await fake.wait_for_ready(timeout_s=START_TIMEOUT_S)
        await wait_provisioned([guild_id], timeout_s=START_TIMEOUT_S)
        for name in ("one", "two"):
            options = {"name": name, "content": name}
            await fake.slash(guild_id, ALICE, "tag", subcommand="create", options=options)
        missing = await fake.slash(
            guild_id, ALICE, "tag", subcommand="show", options={"name": "absent"}
        )
        assert missing.ephemeral

        async def all_counted() -> Samples | None:
            _, samples = await scrape(url)
            labels = {"command": "tag show", "outcome": "user_error"}
            return samples if value(samples, "guildhall_interactions_total", **labels) else None

        samples = await eventually(all_counted)
        kind, _ = await scrape(url)
    except BaseException:
        print(bot.output())  # the child's side of the story, for the failure report
        raise
    return samples, kind
