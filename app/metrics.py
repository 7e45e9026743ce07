"""``GET /metrics``: what the bot does, in the Prometheus text format (prometheus-client).

Imports nothing from disnake: the bot reports interactions and joins through
:class:`BotMetrics`, and the connection layer and the registry are read at scrape time.

- ``guildhall_interactions_total{command, outcome}`` and ``guildhall_interaction_seconds``
  (histogram, by command): every slash command, from its arrival to the end of its handling;
  outcomes ``ok``, ``user_error``, ``refused``, ``guild_unavailable``, ``database_unavailable``,
  ``error``;
- ``guildhall_provisioning_total{outcome}``: guild joins and start-up reconciliations;
- ``guildhall_gc_pause_seconds`` (histogram, by ``generation``): every garbage collection of
  the bot process, which pauses its event loop (:mod:`app.heap`);
- ``guildhall_gateway_events_dropped_total{event, reason}``: gateway events dropped before
  parsing (``app/bot_gateway.py``; ``MESSAGE_CREATE`` ``xp_budget``: over the guild's
  ``XP_GUILD_BUDGET``, ``bot``: from a bot or a webhook, never counted);
- ``guildhall_tenant_lease_waits_total{outcome}``: shared-tier leases of a guild at its cap
  (``GUILD_SHARED_LEASES_MAX``): ``delayed`` (served after a wait), ``refused_wait_timeout``,
  ``refused_queue_full``;
- ``guildhall_tenant_leases_total{tier}`` (``pinned``: a hit, ``shared``: a miss,
  ``overflow``), ``guildhall_tenant_evictions_total``, ``guildhall_tenant_promotions_total``,
  ``guildhall_db_connections_open{tier}``, ``guildhall_tenant_pinned_guilds``,
  ``guildhall_db_connection_budget``: the connection layer (``Tenancy.connections.stats()``);
- ``guildhall_guilds{status}`` and ``guildhall_guild_schemas_behind``: the registry, read
  when scraped (``guildhall_registry_up`` is 0 when it could not be read).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from tortoise.functions import Count

from app.models.shared import Tenant
from app.tenancy import TENANT_APP, Tenancy, head_version

log = logging.getLogger(__name__)

#: Interactions answered on loopback take milliseconds; Discord gives up after 3 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: A young-generation collection takes well under a millisecond; a full one over a big heap
#: 50-200 ms (app/heap.py).
GC_PAUSE_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5)
#: Interactions whose end was never reported are forgotten beyond this many.
MAX_IN_FLIGHT = 10_000

#: The outcome of a failed interaction, by the key of the reply the user got.
OUTCOME_BY_REPLY = {
    "errors.unexpected": "error",
    "errors.database_unavailable": "database_unavailable",
    "errors.tenant_disabled": "guild_unavailable",
    "errors.tenant_disabled_reason": "guild_unavailable",
    "errors.tenant_expired": "guild_unavailable",
    "errors.not_owner": "refused",
    "errors.not_allowed": "refused",
    "errors.missing_permissions": "refused",
}


class BotMetrics:
    """The counters the bot updates, and the registry ``/metrics`` renders."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.interactions = Counter(
            "guildhall_interactions",
            "Slash commands handled, by command and outcome.",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "guildhall_interaction_seconds",
            "Time from a slash command's arrival to the end of its handling.",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.provisioning = Counter(
            "guildhall_provisioning",
            "Guilds set up on join or at start-up, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.gateway_dropped = Counter(
            "guildhall_gateway_events_dropped",
            "Gateway events dropped before parsing, by event and reason.",
            ["event", "reason"],
            registry=self.registry,
        )
        self.gc_pauses = Histogram(
            "guildhall_gc_pause_seconds",
            "Garbage collections of the bot process (each pauses its event loop), by generation.",
            ["generation"],
            buckets=GC_PAUSE_BUCKETS,
            registry=self.registry,
        )
        self._started: OrderedDict[int, float] = OrderedDict()
        self._state = _StateCollector()
        self.registry.register(self._state)

    def interaction_started(self, interaction_id: int) -> None:
        """An interaction arrived (its end is reported with :meth:`interaction_finished`)."""
        self._started[interaction_id] = time.perf_counter()
        while len(self._started) > MAX_IN_FLIGHT:
            self._started.popitem(last=False)

    def interaction_finished(self, interaction_id: int, command: str, outcome: str) -> None:
        """An interaction was handled: count it, and time it if its start was seen."""
        self.interactions.labels(command, outcome).inc()
        started = self._started.pop(interaction_id, None)
        if started is not None:
            self.latency.labels(command).observe(time.perf_counter() - started)

    def gc_paused(self, generation: int, seconds: float) -> None:
        """A garbage collection of ``generation`` paused the process for ``seconds``."""
        self.gc_pauses.labels(str(generation)).observe(seconds)

    @staticmethod
    def outcome_of_reply(key: str) -> str:
        """The outcome label of an interaction that was answered with error ``key``."""
        return OUTCOME_BY_REPLY.get(key, "user_error")

    async def render(self, tenancy: Tenancy) -> bytes:
        """The text exposition, with the connection layer and the registry read now."""
        await self._state.refresh(tenancy)
        return bytes(generate_latest(self.registry))


class _StateCollector(Collector):
    """Families read at scrape time: the connection layer's counters and the registry."""

    def __init__(self) -> None:
        self._families: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)

    async def refresh(self, tenancy: Tenancy) -> None:
        self._families = [*_connection_families(tenancy), *await _registry_families()]


def _by_label(family: CounterMetricFamily | GaugeMetricFamily, values: dict[str, float]) -> Metric:
    """``family`` with one sample per label value."""
    for label, value in values.items():
        family.add_metric([label], value)
    return family


def _connection_families(tenancy: Tenancy) -> list[Metric]:
    stats = tenancy.connections.stats()
    leases = _by_label(
        CounterMetricFamily(
            "guildhall_tenant_leases",
            "Guild connection leases, by how they were served.",
            labels=["tier"],
        ),
        {"pinned": stats.hits, "shared": stats.misses, "overflow": stats.overflows},
    )
    waits = _by_label(
        CounterMetricFamily(
            "guildhall_tenant_lease_waits",
            "Shared-tier leases of a guild at its cap: served after a wait, or refused (why).",
            labels=["outcome"],
        ),
        {
            "delayed": stats.leases_delayed,
            "refused_wait_timeout": stats.leases_refused_wait_timeout,
            "refused_queue_full": stats.leases_refused_queue_full,
        },
    )
    open_now = _by_label(
        GaugeMetricFamily(
            "guildhall_db_connections_open", "Guild connections open now, by tier.", labels=["tier"]
        ),
        {"pinned": stats.pinned_connections, "shared": stats.shared_connections},
    )
    return [
        leases,
        waits,
        CounterMetricFamily(
            "guildhall_tenant_evictions", "Pinned guilds evicted.", value=stats.evictions
        ),
        CounterMetricFamily(
            "guildhall_tenant_promotions", "Guilds pinned.", value=stats.promotions
        ),
        open_now,
        GaugeMetricFamily(
            "guildhall_tenant_pinned_guilds", "Guilds pinned now.", value=stats.pinned_clients
        ),
        GaugeMetricFamily(
            "guildhall_db_connection_budget", "DB_CONNECTION_BUDGET.", value=stats.budget
        ),
    ]


async def _registry_families() -> list[Metric]:
    try:
        rows = (
            await Tenant.all()
            .group_by("status")
            .annotate(n=Count("guild_id"))
            .values("status", "n")
        )
        behind = await Tenant.exclude(schema_version=head_version(TENANT_APP)).count()
    except Exception as exc:  # a scrape during an outage still reports everything else
        log.warning("metrics: the registry could not be read: %r", exc)
        return [GaugeMetricFamily("guildhall_registry_up", "Registry readable.", value=0)]
    guilds = GaugeMetricFamily("guildhall_guilds", "Guilds by status.", labels=["status"])
    for row in rows:
        guilds.add_metric([str(row["status"])], row["n"])
    return [
        GaugeMetricFamily("guildhall_registry_up", "Registry readable.", value=1),
        guilds,
        GaugeMetricFamily(
            "guildhall_guild_schemas_behind",
            "Guild schemas behind the tenant migration head (run `guildhall db migrate`).",
            value=behind,
        ),
    ]
