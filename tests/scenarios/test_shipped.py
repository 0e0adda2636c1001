"""The shipped scenarios do what their header comments say, for every mounted vendor."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp

from mockserver.core.randomness import Randomness
from mockserver.core.scenario_files import find_scenario
from mockserver.core.yamlfile import load
from mockserver.engine.scenarios import Delay, resolve_error

from .conftest import send, services, shows_row


async def test_all_errors_reaches_every_row_of_every_vendor(scenario_client):
    client = await scenario_client(None, files=("all-errors",))
    for vendor in services(client).vendors.values():
        for row in vendor.errors:
            status, body, _ = await send(client, vendor, headers={"X-Mock-Error": row.name})
            assert shows_row(status, body, row), (vendor.name, row.name, status, body)
        assert (await send(client, vendor))[0] == 200


async def test_outage_answers_each_vendors_own_5xx_class_error(scenario_client):
    client = await scenario_client(None, files=("outage",))
    for vendor in services(client).vendors.values():
        row = resolve_error(vendor, "@unavailable")
        assert row is not None and row.concerns == "system"
        status, body, _ = await send(client, vendor)
        assert shows_row(status, body, row), (vendor.name, status, body)
    assert not services(client).store.messages


async def test_rate_limited_limits_each_account(scenario_client):
    client = await scenario_client(None, files=("rate-limited",), frozen_clock=True)
    for vendor in services(client).vendors.values():
        row = resolve_error(vendor, "@rate_limited")
        answers = [await send(client, vendor) for _ in range(12)]
        limited = [shows_row(s, b, row) for s, b, _ in answers]
        expected = 120 if vendor.name == "thaibulksms" else 10
        assert limited == [False] * min(expected, 12) + [True] * (12 - min(expected, 12)), vendor.name


async def test_flaky_network_mixes_faults_at_a_few_percent(scenario_client):
    client = await scenario_client(None, files=("flaky-network",), seed=3)
    vendor = next(iter(services(client).vendors.values()))
    req = vendor.sample_send(vendor.sample_recipient(500))

    async def one(session):
        try:
            async with session.request(
                req.method, str(client.make_url(req.path)), data=req.body, headers=req.headers
            ) as resp:
                await resp.read()
                return resp.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            return type(exc).__name__

    timeout = aiohttp.ClientTimeout(total=2.5)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=100, force_close=True)
    ) as session:
        results = await asyncio.gather(*(one(session) for _ in range(400)))
    await asyncio.sleep(0.1)
    outcomes = Counter(r.outcome for r in services(client).store.requests)
    assert outcomes["ok"] + outcomes["fault:slow_body"] > 300
    faults = {k for k in outcomes if k.startswith("fault:")}
    assert len(faults) >= 3, outcomes
    assert Counter(results)[200] > 300


def test_slow_vendor_latency_is_lognormal_around_800ms():
    data = load(find_scenario("slow-vendor")).data
    delay = Delay.parse(data["rules"][0]["delay"])
    rng = Randomness(11)
    samples = sorted(delay.sample(rng) for _ in range(4001))
    assert 0.74 <= samples[2000] <= 0.86
    assert samples[-1] <= 10.0 and samples[400] < 0.5 < 1.2 < samples[3600]


async def test_slow_vendor_delays_real_requests(scenario_client):
    client = await scenario_client(None, files=("slow-vendor",))
    vendor = next(iter(services(client).vendors.values()))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(send(client, vendor) for _ in range(5)))
    assert loop.time() - started > 0.2
    latencies = [r.latency_ms for r in services(client).store.requests]
    assert min(latencies) > 100
