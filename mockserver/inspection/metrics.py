"""``GET /_mock/metrics``: the mock's state in the Prometheus text format (``prometheus-client``).

Nothing is measured on the request path. The request journal already holds each request's
vendor, operation, outcome and latency, and ``Store.requests_seen`` counts every request ever
journaled, so a scrape first feeds the requests journaled since the previous scrape into the
request counter and the latency histogram (ordinary ``prometheus_client`` metrics), and a custom
collector reads everything else from the store as it is at that moment: messages by state,
callbacks by state, the journals' fill against their cap, and scenario rule hits.

If more requests arrive between two scrapes than the journal keeps (``journal_size``, 100,000
by default), the oldest of them are gone before they were seen: they are counted in
``mockserver_requests_unattributed_total`` (no vendor, operation or latency), so the totals still
add up. Each application has its own registry: two servers in one process (tests, the embed)
never share metrics, and the process-wide default registry is left alone.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator
from itertools import islice

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from mockserver.core import gcwatch
from mockserver.core.store import CALLBACK_STATES
from mockserver.engine.services import Services

# Seconds; a mock answers in well under a millisecond unless a scenario delays it.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class JournalFeed:
    """The request counter and latency histogram, fed from the request journal at scrape time."""

    def __init__(self, services: Services, registry: CollectorRegistry) -> None:
        self.store = services.store
        self.seen = self.store.requests_seen  # requests before the metrics existed are not counted twice
        self.requests = Counter(
            "mockserver_requests",
            "Vendor API requests, by vendor, operation and outcome (ok, the vendor error's name, fault:KIND)",
            ("vendor", "operation", "outcome"),
            registry=registry,
        )
        self.latency = Histogram(
            "mockserver_request_duration_seconds",
            "Time the mock took to answer a vendor API request",
            ("vendor", "operation"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.unattributed = Counter(
            "mockserver_requests_unattributed",
            "Requests that left the journal before a scrape saw them (more than journal_size between scrapes)",
            registry=registry,
        )

    def catch_up(self) -> None:
        total = self.store.requests_seen
        new = total - self.seen
        self.seen = total
        if new <= 0:
            return
        journal = self.store.requests
        kept = min(new, len(journal))  # the newest ``kept`` entries are the new ones
        if new > kept:
            self.unattributed.inc(new - kept)
        tally: Tally[tuple[str, str, str]] = Tally()
        for entry in islice(journal, len(journal) - kept, None):
            operation = entry.operation or "-"
            tally[(entry.vendor, operation, entry.outcome)] += 1
            self.latency.labels(entry.vendor, operation).observe(entry.latency_ms / 1000)
        for labels, n in tally.items():
            self.requests.labels(*labels).inc(n)


class StateCollector(Collector):
    """Everything else, read from the store when Prometheus scrapes."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        services = self.services
        store = services.store
        messages = GaugeMetricFamily(
            "mockserver_messages", "Journaled messages by vendor and lifecycle state", labels=("vendor", "state")
        )
        for (vendor, state), n in sorted(Tally((m.vendor, m.status) for m in store.messages.values()).items()):
            messages.add_metric((vendor, state), n)
        yield messages
        callbacks = GaugeMetricFamily("mockserver_callbacks", "Journaled callbacks by state", labels=("state",))
        counts = services.callbacks.counts()
        for state in CALLBACK_STATES:
            callbacks.add_metric((state,), counts.get(state, 0))
        yield callbacks
        fill = GaugeMetricFamily(
            "mockserver_journal_entries", "Entries in each journal (capped at journal_size)", labels=("journal",)
        )
        for name, size in (
            ("messages", len(store.messages)),
            ("requests", len(store.requests)),
            ("callbacks", len(store.callbacks)),
            ("otps", len(store.otps)),
        ):
            fill.add_metric((name,), size)
        yield fill
        yield GaugeMetricFamily(
            "mockserver_journal_capacity", "journal_size: entries each journal keeps", store.journal_size
        )
        yield CounterMetricFamily(
            "mockserver_messages_dropped",
            "Messages dropped from the full journal, oldest first",
            store.dropped_messages,
        )
        hits = CounterMetricFamily(
            "mockserver_scenario_rule_hits",
            "How often each active scenario rule applied (starts again when the scenario is replaced)",
            labels=("rule", "name"),
        )
        for rule in services.scenarios.describe():
            hits.add_metric((str(rule["id"]), str(rule.get("name") or "")), rule["hits"])
        yield hits


class GcCollector(Collector):
    """The process's GC pauses (:mod:`mockserver.core.gcwatch`), when ``serve`` watches them:
    ``mockserver_gc_pause_seconds`` (a histogram by generation) and the longest pause so far."""

    def collect(self) -> Iterator[Metric]:
        pauses = gcwatch.watching()
        if pauses is None:
            return
        histogram = HistogramMetricFamily(
            "mockserver_gc_pause_seconds",
            "Time the cyclic garbage collector stopped the server, by generation",
            labels=("generation",),
        )
        longest = GaugeMetricFamily(
            "mockserver_gc_pause_max_seconds", "The longest GC pause so far, by generation", labels=("generation",)
        )
        longest_cpu = GaugeMetricFamily(
            "mockserver_gc_pause_cpu_max_seconds",
            "The longest GC pause so far in CPU time (without the time other processes had the CPU)",
            labels=("generation",),
        )
        for generation in gcwatch.GENERATIONS:
            counts = pauses.counts[generation]
            cumulative, buckets = 0, []
            for bound, n in zip((*map(str, gcwatch.PAUSE_BUCKETS), "+Inf"), counts, strict=True):
                cumulative += n
                buckets.append((bound, cumulative))
            histogram.add_metric((str(generation),), buckets, pauses.sums[generation])
            longest.add_metric((str(generation),), pauses.longest[generation])
            longest_cpu.add_metric((str(generation),), pauses.longest_cpu[generation])
        yield histogram
        yield longest
        yield longest_cpu


def register(app: web.Application, services: Services) -> None:
    registry = CollectorRegistry()
    feed = JournalFeed(services, registry)
    registry.register(StateCollector(services))
    registry.register(GcCollector())

    async def handle(_: web.Request) -> web.Response:
        feed.catch_up()
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", handle)
