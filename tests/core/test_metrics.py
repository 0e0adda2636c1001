"""``GET /_mock/metrics`` scraped from a real server and read with prometheus_client's own parser."""

from __future__ import annotations

import gc

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mockserver.core import gcwatch

from .lifecycle_helpers import SEND, phone, send, sms


async def scrape(client) -> dict[str, dict[tuple, float]]:
    """{sample name: {sorted label items: value}}."""
    answer = await client.get("/_mock/metrics")
    assert answer.status == 200 and answer.content_type == "text/plain"
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(await answer.text()):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def value(metrics, name: str, **labels) -> float:
    return metrics.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


async def test_requests_outcomes_latency_messages_journal_and_rule_hits(client, receiver):
    rule = {"name": "teapot for 0899", "match": {"recipient": phone(99)}, "respond": {"status": 418, "body": "x"}}
    assert (await client.post("/_mock/scenario/rules", json=rule)).status == 201
    before = await scrape(client)
    assert value(before, "mockserver_requests_total", vendor="smartsmsbulk", operation="send_sms", outcome="ok") == 0

    await send(client, 1, receiver.url)
    await send(client, 2)
    await client.post(SEND, json={**sms(3), "chksum": "0" * 32})
    await client.post(SEND, json=sms(99))  # the scenario rule answers
    await client.get("/smartsmsbulk/nope")
    await receiver.wait_for(1)

    metrics = await scrape(client)
    labels = {"vendor": "smartsmsbulk", "operation": "send_sms"}
    assert value(metrics, "mockserver_requests_total", **labels, outcome="ok") == 2
    assert value(metrics, "mockserver_requests_total", **labels, outcome="INVALID_CHECKSUM") == 1
    assert value(metrics, "mockserver_requests_total", vendor="smartsmsbulk", operation="-", outcome="NOT_FOUND") == 1
    assert sum(v for k, v in metrics["mockserver_requests_total"].items() if ("vendor", "smartsmsbulk") in k) == 5
    assert value(metrics, "mockserver_request_duration_seconds_count", **labels) == 4
    assert value(metrics, "mockserver_request_duration_seconds_bucket", **labels, le="+Inf") == 4
    assert 0 < value(metrics, "mockserver_request_duration_seconds_sum", **labels) < 5
    # messages by state and journal fill against the cap
    states = {dict(k)["state"]: v for k, v in metrics["mockserver_messages"].items() if ("vendor", "smartsmsbulk") in k}
    assert sum(states.values()) == 2
    assert value(metrics, "mockserver_journal_entries", journal="messages") == 2
    assert value(metrics, "mockserver_journal_entries", journal="requests") == 5
    assert value(metrics, "mockserver_journal_capacity") == 100_000
    assert (
        value(metrics, "mockserver_callbacks", state="delivered")
        + value(metrics, "mockserver_callbacks", state="pending")
        == 1
    )
    (hits,) = [v for k, v in metrics["mockserver_scenario_rule_hits_total"].items() if ("name", rule["name"]) in k]
    assert hits == 1

    # counters only grow: a second scrape counts nothing twice, and a reset does not rewind them
    assert (await scrape(client))["mockserver_requests_total"] == metrics["mockserver_requests_total"]
    await client.post("/_mock/reset")
    await send(client, 4)
    after = await scrape(client)
    assert value(after, "mockserver_requests_total", **labels, outcome="ok") == 3
    assert value(after, "mockserver_journal_entries", journal="messages") == 1


async def test_more_requests_than_the_journal_keeps_are_still_counted(aiohttp_client, make_app):
    client = await aiohttp_client(make_app({"server": {"journal_size": 3}}))
    for n in range(5):
        await send(client, n)
    metrics = await scrape(client)
    counted = value(metrics, "mockserver_requests_total", vendor="smartsmsbulk", operation="send_sms", outcome="ok")
    assert (counted, value(metrics, "mockserver_requests_unattributed_total")) == (3, 2)


async def test_each_server_has_its_own_registry(aiohttp_client, make_app):
    first, second = await aiohttp_client(make_app()), await aiohttp_client(make_app())
    await send(first, 1)
    labels = {"vendor": "smartsmsbulk", "operation": "send_sms", "outcome": "ok"}
    assert value(await scrape(first), "mockserver_requests_total", **labels) == 1
    assert value(await scrape(second), "mockserver_requests_total", **labels) == 0


@pytest.fixture
def watched_gc():
    """The GC hook ``serve`` installs (process-wide), removed again after the test."""
    gcwatch.unwatch()
    yield gcwatch.watch()
    gcwatch.unwatch()


async def test_gc_pauses_are_not_shown_unless_serve_watches_them(client):
    gcwatch.unwatch()
    assert "mockserver_gc_pause_seconds_count" not in await scrape(client)
    assert (await (await client.get("/_mock/health")).json())["gc"] is None


async def test_a_full_collection_shows_in_the_gc_pause_histogram_and_in_health(client, watched_gc):
    gc.collect()
    gc.collect()

    metrics = await scrape(client)  # the host process may have collected on its own too: at least 2
    assert value(metrics, "mockserver_gc_pause_seconds_count", generation="2") >= 2
    assert value(metrics, "mockserver_gc_pause_seconds_bucket", generation="2", le="+Inf") >= 2
    longest = value(metrics, "mockserver_gc_pause_max_seconds", generation="2")
    assert 0 < longest <= value(metrics, "mockserver_gc_pause_seconds_sum", generation="2") < 5
    assert 0 < value(metrics, "mockserver_gc_pause_cpu_max_seconds", generation="2") < 5
    health = (await (await client.get("/_mock/health")).json())["gc"]
    assert health["collections"][2] >= 2
    assert health["max_pause_ms"][2] >= round(longest * 1000, 3) > 0
