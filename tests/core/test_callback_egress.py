"""Callbacks that cannot be turned against anyone and lose nothing, with real sockets: refused
destinations at send time (the vendor's own error) and at dispatch (journaled ``refused``),
retries on the mock's clock across an hour-long outage, and fair dispatch past a hanging receiver."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest
from aiohttp import web

from mockserver.embed import MockServer
from mockserver.engine.egress import Egress, EgressRefused, GuardedResolver

from .lifecycle_helpers import BIG_ACCOUNT, SEND, reports, send, sms

FAST_DELIVERY = {"sent_after": 0.02, "final_after": 0.05}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def services_of(client) -> Any:
    from mockserver.app import SERVICES

    return client.server.app[SERVICES]


def with_account_callback(url: str) -> dict[str, Any]:
    """BIG_ACCOUNT whose SmartSMSBulk account reports to ``url`` (a configured URL: no send-time check)."""
    vendors = json.loads(json.dumps(BIG_ACCOUNT["vendors"]))
    vendors["smartsmsbulk"]["accounts"][0]["callback_url"] = url
    return {"vendors": vendors}


async def advance(client_or_session, base: str, duration: str) -> None:
    async with client_or_session.post(f"{base}/_mock/clock", json={"advance": duration}) as resp:
        assert resp.status == 200, await resp.text()


# -- send time: each vendor answers its own invalid-callback error ---------------------------------
def _smartsmsbulk(vendor, url: str) -> tuple[str, dict[str, str], bytes]:
    return SEND, {"Content-Type": "application/json"}, json.dumps(sms(1, url)).encode()


def _thaibulksms(vendor, url: str) -> tuple[str, dict[str, str], bytes]:
    sample = vendor.sample_send("0812345678", "hi")
    fields = dict(parse_qsl(sample.body.decode()))
    fields["callback_url"] = url
    return sample.path, dict(sample.headers), urlencode(fields).encode()


def _ants(vendor, url: str) -> tuple[str, dict[str, str], bytes]:
    sample = vendor.sample_send("66812345678", "hi")
    body = json.loads(sample.body)
    body["messages"][0]["notifyUrl"] = url
    return sample.path, dict(sample.headers), json.dumps(body).encode()


# vendor -> (how its request carries a callback URL, its invalid-callback error)
PER_REQUEST_URL: dict[str, tuple[Callable[[Any, str], tuple[str, dict[str, str], bytes]], str]] = {
    "smartsmsbulk": (_smartsmsbulk, "INVALID_CALLBACK"),
    "thaibulksms": (_thaibulksms, "ERROR_CALLBACK_URL"),
    "ants": (_ants, "NOTIFY_URL_INVALID"),
}


async def _send_with_callback(http: aiohttp.ClientSession, mock: MockServer, vendor_name: str, url: str):
    vendor = mock.services.vendors[vendor_name]
    build, error = PER_REQUEST_URL[vendor_name]
    path, headers, body = build(vendor, url)
    async with http.post(mock.url + path, headers=headers, data=body) as resp:
        return resp.status, await resp.text(), vendor.errors[error]


@pytest.mark.parametrize("vendor_name", sorted(PER_REQUEST_URL))
async def test_refused_callback_urls_get_the_vendors_error_at_send_time(vendor_name):
    async with MockServer(seed=1, frozen_clock=True) as mock, aiohttp.ClientSession() as http:
        port = mock.port
        refused = [
            f"{mock.url}/_mock/reset",  # the mock's own admin API, as it is bound
            f"http://localhost:{port}/_mock/reset",
            f"http://127.0.0.1:{port}//_mock/reset",
            f"http://127.0.0.1:{port}/%5Fmock/clock",
            f"http://127.0.0.1:{port}/x/../_mock/scenario",
            "http://169.254.169.254/latest/meta-data/",  # cloud metadata
            "http://2852039166/latest/meta-data/",  # the same address as one number
            "http://[::ffff:169.254.169.254]/latest/meta-data/",  # and IPv4-mapped
            "http://[fe80::1]/dr",
            "http://[fd00:ec2::254]/latest/meta-data/",
        ]
        for url in refused:
            status, text, row = await _send_with_callback(http, mock, vendor_name, url)
            assert (status, row.message in text) == (row.status, True), (url, status, text)
        accepted = [
            f"{mock.url}/smartsmsbulk/dr",  # the mock's own vendor endpoints are fine
            "http://127.0.0.1:9/dr",  # loopback is fine unless deny_private
            "http://10.1.2.3/dr",
        ]
        for url in accepted:
            status, text, row = await _send_with_callback(http, mock, vendor_name, url)
            assert row.message not in text and status < 400, (url, status, text)
        assert len(mock.services.store.messages) == len(accepted)  # a refused send is not accepted


@pytest.mark.parametrize("vendor_name", sorted(PER_REQUEST_URL))
async def test_deny_private_also_refuses_loopback_and_private_addresses(vendor_name):
    config = {"callbacks": {"deny_private": True}}
    async with MockServer(config, seed=1, frozen_clock=True) as mock, aiohttp.ClientSession() as http:
        for url in ("http://127.0.0.1:9/dr", "http://localhost:9/dr", "http://10.1.2.3/dr", "http://[::1]/dr",
                    "http://192.168.0.10/dr", "http://100.64.0.1/dr", "http://0x7f.1/dr"):  # fmt: skip
            status, text, row = await _send_with_callback(http, mock, vendor_name, url)
            assert (status, row.message in text) == (row.status, True), (url, status, text)
        status, text, row = await _send_with_callback(http, mock, vendor_name, "http://93.184.215.14/dr")
        assert row.message not in text and status < 400, text


# -- dispatch time: resolved again, refused attempts journaled -------------------------------------------
async def _journal(http, base: str) -> list[dict[str, Any]]:
    async with http.get(f"{base}/_mock/callbacks") as resp:
        return (await resp.json())["callbacks"]


async def test_a_configured_callback_to_the_mocks_own_admin_api_is_refused_at_dispatch():
    """The report that once wiped the journal: ``localhost`` resolves to the address the mock is
    bound to, the path is ``/_mock/reset``; the attempt is journaled as refused and nothing is reset."""
    port = free_port()
    config = {"delivery": FAST_DELIVERY, **with_account_callback(f"http://localhost:{port}/_mock/reset")}
    async with MockServer(config, seed=1, port=port) as mock, aiohttp.ClientSession() as http:
        async with http.post(mock.url + SEND, json=sms(1)) as resp:
            ref = (await resp.json())["refId"]
        await mock.services.callbacks.drain()
        for _ in range(100):
            if mock.services.store.callbacks and not mock.services.callbacks.busy():
                break
            await asyncio.sleep(0.02)
        (record,) = await _journal(http, mock.url)
        assert record["state"] == "refused" and record["message_ids"] == [ref]
        (attempt,) = record["attempts"]
        assert attempt["status"] is None
        assert attempt["error"] == f"refused: localhost resolves to the mock's own /_mock/ API at 127.0.0.1:{port}"
        async with http.get(f"{mock.url}/_mock/messages") as resp:
            assert (await resp.json())["count"] == 1  # the journal was not wiped
        async with http.get(f"{mock.url}/_mock/callbacks", params={"state": "refused"}) as resp:
            assert (await resp.json())["states"]["refused"] == 1


async def test_a_name_resolving_to_loopback_is_refused_at_dispatch_with_deny_private(
    aiohttp_client, make_app, receiver
):
    port = int(receiver.url.split(":")[2].split("/")[0])
    config = {"callbacks": {"deny_private": True}, **with_account_callback(f"http://localhost:{port}/dr")}
    client = await aiohttp_client(make_app(config))
    await send(client, 1)  # no callbackUrl: the account's configured one
    services = services_of(client)
    for _ in range(200):
        if services.store.callbacks and not services.callbacks.busy():
            break
        await asyncio.sleep(0.02)
    (record,) = services.store.callbacks.values()
    assert record.state == "refused" and len(record.attempts) == 1
    assert record.attempts[0].error.startswith("refused: localhost resolves to a private or loopback address")
    await asyncio.sleep(0.1)
    assert receiver.requests == []  # never sent, never retried


async def test_a_configured_metadata_url_is_refused_at_dispatch(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(with_account_callback("http://169.254.169.254/latest/meta-data/")))
    await send(client, 1)
    services = services_of(client)
    for _ in range(200):
        if services.store.callbacks and not services.callbacks.busy():
            break
        await asyncio.sleep(0.02)
    (record,) = services.store.callbacks.values()
    assert record.state == "refused"
    assert [a.error for a in record.attempts] == ["refused: a link-local address (cloud metadata) 169.254.169.254"]


async def test_the_clients_resolver_refuses_what_the_policy_refuses():
    """The last check, when the HTTP client connects (a name that changed its answer since)."""
    assert await GuardedResolver(Egress()).resolve("localhost", 80)  # allowed by default
    with pytest.raises(EgressRefused, match=re.escape("localhost resolves to a private or loopback address 127.0.0.1")):
        await GuardedResolver(Egress(deny_private=True)).resolve("localhost", 80)


# -- nothing lost: an hour-long outage on the mock's clock -----------------------------------------------
async def test_a_receiver_down_for_an_hour_of_mock_time_gets_every_report_exactly_once(aiohttp_client, make_app):
    """Default retry schedule; frozen clock moved by ``/_mock/clock``; 20 reports, one callback each."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/dr"
    app = make_app({"delivery": FAST_DELIVERY, "callbacks": {"batch_max": 1}}, fast=False, frozen_clock=True)
    client = await aiohttp_client(app)
    base = ""
    services = services_of(client)
    refs = [await send(client, n, url) for n in range(20)]
    await advance(client, base, "1s")  # delivered: the reports go out, the receiver is down
    await services.callbacks.drain()
    records = list(services.store.callbacks.values())
    assert len(records) == 20 and all(len(r.attempts) == 1 for r in records)
    first = min(r.attempts[0].at for r in records)

    # A frozen clock holds the retries: real time passes and nothing is attempted.
    await asyncio.sleep(0.3)
    assert all(len(r.attempts) == 1 and r.state == "pending" for r in records)

    # An hour of mock time, receiver down: retries come as the clock moves, none gives up.
    while services.clock.now() < first + 3600:
        await advance(client, base, "60s")
        await services.callbacks.drain()
    assert all(r.state == "pending" for r in records)
    assert all(len(r.attempts) >= 7 for r in records), [len(r.attempts) for r in records]

    got: list[dict[str, Any]] = []

    async def dr(request: web.Request) -> web.Response:
        got.extend(await request.json())
        return web.Response(text="ok")

    receiver_app = web.Application()
    receiver_app.router.add_post("/dr", dr)
    runner = web.AppRunner(receiver_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        for _ in range(30):  # the receiver is back: the next retries deliver
            if all(r.state != "pending" for r in records):
                break
            await advance(client, base, "60s")
            await services.callbacks.drain()
    finally:
        await runner.cleanup()
    assert Counter(r["refId"] for r in got) == Counter(refs)  # every report, exactly once
    assert Counter(r.state for r in records) == {"delivered": 20}
    for record in records:
        assert record.attempts[-1].at - record.attempts[0].at >= 3600
        assert all(a.status is None and a.error for a in record.attempts[:-1])  # refused connections
        assert record.attempts[-1].status == 200


async def test_retries_are_released_by_advancing_the_clock(aiohttp_client, make_app, receiver):
    receiver.statuses = [503, 200]
    app = make_app({"callbacks": {"backoff_initial": 30, "backoff_max": 600, "batch_max": 1}}, frozen_clock=True)
    client = await aiohttp_client(app)
    services = services_of(client)
    await send(client, 1, receiver.url)
    await advance(client, "", "1s")
    await receiver.wait_for(1)
    await services.callbacks.drain()
    await advance(client, "", "29s")  # not yet due (30 s at least)
    await asyncio.sleep(0.1)
    assert len(receiver.requests) == 1
    await advance(client, "", "7s")  # 36 s: the retry (30 s + at most 20 % jitter) is due
    await receiver.wait_for(2, timeout=2)
    await services.callbacks.drain()
    (record,) = services.store.callbacks.values()
    assert [a.status for a in record.attempts] == [503, 200] and record.state == "delivered"
    assert 30 <= record.attempts[1].at - record.attempts[0].at <= 36


# -- fair dispatch ---------------------------------------------------------------------------------
async def test_a_hanging_receiver_does_not_starve_a_healthy_one(aiohttp_client, make_app, aiohttp_server, receiver):
    release = asyncio.Event()
    in_flight = peak = 0

    async def hang(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await release.wait()  # sleeps until the test is over: never answers within it
        finally:
            in_flight -= 1
        return web.Response(text="late")

    hanging_app = web.Application()
    hanging_app.router.add_post("/dr", hang)
    hanging = await aiohttp_server(hanging_app)
    client = await aiohttp_client(make_app({"callbacks": {"timeout": 30}}))
    services = services_of(client)
    cap = services.callbacks.settings.per_destination
    for n in range(200):
        services.callbacks.send(vendor="test", url=str(hanging.make_url("/dr")), body=b"%d" % n)
    for _ in range(100):
        if in_flight == cap:
            break
        await asyncio.sleep(0.01)
    assert in_flight == cap

    started = time.perf_counter()
    ref = await send(client, 1, receiver.url)  # through the vendor: delivery, batch window, callback
    await receiver.wait_for(1, timeout=0.5)
    elapsed = time.perf_counter() - started
    assert [r["refId"] for r in reports(receiver)] == [ref]
    assert elapsed < 0.5
    assert peak == cap  # the hanging receiver never held more than its share
    assert services.callbacks.counts()["pending"] == 200
    release.set()
