"""The callback dispatcher against a real receiver on an ephemeral port: retries, give-up, the
journal, batching, ordering, scenario plans, replay, URL policy and the 1,000-message count."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter

import pytest
from aiohttp import web

from mockserver.app import SERVICES
from mockserver.core.clock import Clock
from mockserver.core.randomness import Randomness
from mockserver.core.store import Store
from mockserver.engine.callbacks import CallbackSettings, Dispatcher
from mockserver.engine.scenarios import CallbackPlan

from .lifecycle_helpers import BIG_ACCOUNT, SEND, reports, send, send_bulk, sms, wait_reports


def services_of(client):
    return client.server.app[SERVICES]


async def journal(client, **params) -> list[dict]:
    resp = await client.get("/_mock/callbacks", params=params)
    assert resp.status == 200
    return (await resp.json())["callbacks"]


async def settled(services, count: int = 1, timeout: float = 10.0) -> None:
    """Wait until ``count`` callbacks exist and none is pending any more."""

    def done() -> bool:
        records = services.store.callbacks.values()
        return len(records) >= count and all(r.state != "pending" for r in records)

    await asyncio.wait_for(_until(done), timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- retries and giving up -----------------------------------------------------------------------
async def test_receiver_failing_at_first_gets_the_callback_later(client, receiver):
    receiver.statuses = [503, 500, 200]
    ref = await send(client, 1, receiver.url)
    await receiver.wait_for(3)
    await services_of(client).callbacks.drain()
    (record,) = await journal(client, message=ref)
    assert record["state"] == "delivered"
    assert [a["status"] for a in record["attempts"]] == [503, 500, 200]
    for attempt in record["attempts"]:
        assert attempt["url"] == receiver.url and attempt["latency_ms"] > 0 and attempt["at"] > 0
    # Each retry got the same request body.
    assert len({r.body for r in receiver.requests}) == 1
    assert receiver.requests[0].json()[0]["refId"] == ref


async def test_a_failing_receiver_is_logged_when_it_first_fails_and_when_given_up(
    aiohttp_client, make_app, receiver, caplog
):
    """One warning at the first failure, one at giving up, not one per attempt or per message:
    three messages to a receiver that always answers 500 give two lines, not nine."""
    receiver.statuses = [500]
    client = await aiohttp_client(make_app({"callbacks": {"backoff_initial": 0.01, "max_attempts": 3}}))
    caplog.set_level(logging.WARNING, logger="mockserver.callbacks")
    for n in range(3):  # a URL each: three callbacks, not one batch
        await send(client, n, f"{receiver.url}/{n}")
    services = services_of(client)
    await settled(services, 3)
    assert sorted(r.state for r in services.store.callbacks.values()) == ["gave_up"] * 3
    lines = [r.getMessage() for r in caplog.records if r.name == "mockserver.callbacks"]
    assert len(lines) == 2, lines
    failed, gave_up = lines
    assert "failed (status 500); retrying, up to 3 attempts" in failed and receiver.url in failed
    assert "gave up after 3 attempts (last: status 500)" in gave_up
    # Past the rate limit's window the next line says how many were held back.
    services.callbacks.warnings.every = 0
    caplog.clear()
    await send(client, 3, f"{receiver.url}/3")
    await settled(services, 4)
    lines = [r.getMessage() for r in caplog.records if r.name == "mockserver.callbacks"]
    assert "and 2 more like it" in lines[0] and "and 2 more like it" in lines[-1], lines


async def test_receiver_down_at_first_then_up_gets_the_callback(aiohttp_client, make_app, aiohttp_server):
    port = free_port()
    url = f"http://127.0.0.1:{port}/dr"
    client = await aiohttp_client(make_app({"callbacks": {"backoff_initial": 0.1, "max_attempts": 8}}))
    ref = await send(client, 1, url)
    services = services_of(client)

    async def first_failures() -> None:
        while not (services.store.callbacks and len(next(iter(services.store.callbacks.values())).attempts) >= 2):
            await asyncio.sleep(0.005)

    await asyncio.wait_for(first_failures(), 5)  # connection refused twice
    got = []

    async def handle(request: web.Request) -> web.Response:
        got.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/dr", handle)
    await aiohttp_server(app, port=port)
    await services.callbacks.drain()
    (record,) = await journal(client, message=ref)
    assert record["state"] == "delivered"
    assert record["attempts"][0]["status"] is None and record["attempts"][0]["error"]
    assert record["attempts"][-1]["status"] == 200
    assert got[0][0]["refId"] == ref


async def test_receiver_that_never_recovers_ends_gave_up_with_every_attempt(client, receiver):
    receiver.statuses = [500]
    ref = await send(client, 1, receiver.url)
    await receiver.wait_for(4)  # FAST: max_attempts 4
    await services_of(client).callbacks.drain()
    (record,) = await journal(client, state="gave_up")
    assert record["message_ids"] == [ref]
    assert [a["status"] for a in record["attempts"]] == [500] * 4
    assert [a["response_body"] for a in record["attempts"]] == ["ok"] * 4
    await asyncio.sleep(0.3)
    assert len(receiver.requests) == 4  # no fifth attempt


async def test_unreachable_receiver_gives_up_with_errors_journaled(client):
    url = f"http://127.0.0.1:{free_port()}/dead"
    await send(client, 1, url)
    await settled(services_of(client))
    (record,) = await journal(client)
    assert record["state"] == "gave_up"
    assert len(record["attempts"]) == 4
    assert all(a["status"] is None and "Connect" in a["error"] for a in record["attempts"])


async def test_slow_receiver_is_a_timeout(aiohttp_client, make_app, aiohttp_server):
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_post("/slow", slow)
    server = await aiohttp_server(app)
    client = await aiohttp_client(make_app({"callbacks": {"timeout": 0.1, "max_attempts": 2}}))
    await send(client, 1, str(server.make_url("/slow")))
    await settled(services_of(client))
    (record,) = await journal(client)
    assert record["state"] == "gave_up"
    # A timed-out request may have been processed: the journal says so, and it is retried.
    assert [a["error"] for a in record["attempts"]] == ["timeout: the receiver may have processed it"] * 2


async def test_backoff_grows_and_jitter_is_seeded():
    def delays(seed: int) -> list[float]:
        d = Dispatcher(Store(), Clock(), Randomness(seed), CallbackSettings(backoff_initial=1, backoff_max=8))
        return [round(d.retry_delay(n), 9) for n in range(1, 6)]

    assert delays(3) == delays(3) != delays(4)
    # Doubling up to backoff_max; jitter only adds (up to 20 %), so the schedule is a floor.
    for delay, nominal in zip(delays(3), (1, 2, 4, 8, 8), strict=True):
        assert nominal <= delay < nominal * 1.2
    # The jitter never draws from the vendors' generator: ids stay the same however retries go.
    rng = Randomness(3)
    Dispatcher(Store(), Clock(), rng, CallbackSettings()).retry_delay(1)
    assert rng.uuid4() == Randomness(3).uuid4()


# -- the clock --------------------------------------------------------------------------------------
async def test_advancing_the_clock_fires_due_reports_at_once(aiohttp_client, make_app, receiver):
    client = await aiohttp_client(make_app(BIG_ACCOUNT, frozen_clock=True, fast=False))
    refs = await send_bulk(client, 0, 150, receiver.url)
    await asyncio.sleep(0.2)
    assert receiver.requests == []  # frozen: nothing is due
    resp = await client.post("/_mock/clock", json={"advance": "1h"})
    assert (await resp.json())["fired"] == 300  # sent + delivered for each
    got = await wait_reports(receiver, 150, timeout=5)
    assert sorted(r["refId"] for r in got) == sorted(refs)
    assert len(receiver.requests) == 2  # batched: 100 + 50 reports
    assert sorted(len(r.json()) for r in receiver.requests) == [50, 100]


# -- nothing lost, nothing doubled -------------------------------------------------------------------
async def test_a_thousand_messages_give_a_thousand_reports(aiohttp_client, make_app, receiver):
    client = await aiohttp_client(make_app(BIG_ACCOUNT))
    refs = await send_bulk(client, 0, 1000, receiver.url)
    got = await wait_reports(receiver, 1000, timeout=15)
    services = services_of(client)
    await services.callbacks.drain()
    counted = Counter(r["refId"] for r in reports(receiver))
    assert set(counted) == set(refs)
    assert max(counted.values()) == 1 and len(got) == 1000
    listing = await (await client.get("/_mock/callbacks", params={"limit": 100000})).json()
    assert listing["states"] == {"pending": 0, "delivered": listing["count"], "gave_up": 0, "dropped": 0, "refused": 0}
    journaled = Counter(m for c in listing["callbacks"] for m in c["message_ids"])
    assert set(journaled) == set(refs) and max(journaled.values()) == 1


async def test_a_thousand_unbatched_with_a_flaky_receiver(aiohttp_client, make_app, aiohttp_server):
    """The receiver refuses each report the first time it sees it: every one is retried and
    arrives exactly once as accepted."""
    seen: Counter[bytes] = Counter()

    async def flaky(request: web.Request) -> web.Response:
        body = await request.read()
        seen[body] += 1
        return web.Response(status=500 if seen[body] == 1 else 200)

    app = web.Application()
    app.router.add_post("/dr", flaky)
    server = await aiohttp_server(app)
    config = {**BIG_ACCOUNT, "callbacks": {"batch_max": 1, "max_attempts": 3, "backoff_max": 0.05}}
    client = await aiohttp_client(make_app(config))
    refs = await send_bulk(client, 0, 1000, str(server.make_url("/dr")))
    services = services_of(client)
    await settled(services, 1000, timeout=20)
    records = list(services.store.callbacks.values())
    assert len(records) == 1000
    assert all(r.state == "delivered" and [a.status for a in r.attempts] == [500, 200] for r in records)
    assert sorted(m for r in records for m in r.message_ids) == sorted(refs)
    assert sorted(seen.values()) == [2] * 1000


async def _until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.01)


# -- batching, ordering, scenario plans ---------------------------------------------------------------
async def test_batches_are_capped_by_batch_max(aiohttp_client, make_app, receiver):
    client = await aiohttp_client(make_app({**BIG_ACCOUNT, "callbacks": {"batch_max": 10}}, frozen_clock=True))
    refs = await send_bulk(client, 0, 35, receiver.url)
    await client.post("/_mock/clock", json={"advance": "2s"})
    await wait_reports(receiver, 35)
    assert sorted(len(r.json()) for r in receiver.requests) == [5, 10, 10, 10]
    records = await journal(client)
    assert sorted(len(c["message_ids"]) for c in records) == [5, 10, 10, 10]
    assert sorted(m for c in records for m in c["message_ids"]) == sorted(refs)


async def started_dispatcher(*, frozen: bool = True, **settings) -> Dispatcher:
    """A dispatcher on a clock frozen at 1000.0 (retries then wait for an advance), or running from it."""
    d = Dispatcher(Store(), Clock(frozen=frozen, start=1000.0), Randomness(1), CallbackSettings(**settings))
    await d.clock.start()
    await d.start()
    return d


async def test_ordered_callbacks_wait_for_the_one_before(receiver):
    receiver.statuses = [500, 200]
    d = await started_dispatcher(frozen=False, backoff_initial=0.02, max_attempts=3)  # retries run on the clock
    for body in (b"first", b"second", b"third"):
        d.send(vendor="v", url=receiver.url, body=body, ordered=True)
    await receiver.wait_for(4)
    await d.drain()
    assert [r.body for r in receiver.requests] == [b"first", b"first", b"second", b"third"]
    await d.stop()


async def test_unordered_callbacks_do_not_wait_for_a_failing_one(receiver):
    receiver.statuses = [500, 200]
    d = await started_dispatcher(frozen=False, backoff_initial=0.3, max_attempts=3)  # retries run on the clock
    d.send(vendor="v", url=receiver.url, body=b"first")
    d.send(vendor="v", url=receiver.url, body=b"second")
    await receiver.wait_for(3)
    assert [r.body for r in receiver.requests][1:] in ([b"second", b"first"], [b"first", b"second"])
    assert [r.body for r in receiver.requests].index(b"second") < 2  # not behind the retry
    await d.stop()


async def test_plan_drop_journals_dropped_and_sends_nothing(receiver):
    d = await started_dispatcher()
    record = d.send(vendor="v", url=receiver.url, body=b"x", plan=CallbackPlan(drop=True))
    await asyncio.sleep(0.1)
    assert receiver.requests == [] and record.state == "dropped"
    assert d.counts()["dropped"] == 1 and "dropped" in record.note
    await d.stop()


async def test_plan_duplicate_sends_copies_each_journaled(receiver):
    d = await started_dispatcher()
    d.send(vendor="v", url=receiver.url, body=b"x", message_ids=["m1"], plan=CallbackPlan(duplicate=2))
    await receiver.wait_for(3)
    await d.drain()
    records = list(d.store.callbacks.values())
    assert [r.state for r in records] == ["delivered"] * 3
    assert [r.note for r in records] == [None, "duplicate 1 of cb-1", "duplicate 2 of cb-1"]
    assert all(r.message_ids == ["m1"] for r in records)
    await d.stop()


async def test_plan_delay_follows_the_virtual_clock(receiver):
    d = await started_dispatcher()
    record = d.send(vendor="v", url=receiver.url, body=b"late", plan=CallbackPlan(delay=600))
    await asyncio.sleep(0.1)
    assert receiver.requests == [] and record.state == "pending"
    d.clock.advance(599)
    await asyncio.sleep(0.05)
    assert receiver.requests == []
    d.clock.advance(1)
    await receiver.wait_for(1)
    await d.drain()
    assert record.state == "delivered" and record.attempts[0].at == 1600.0
    await d.stop()


async def test_plan_reorder_lets_the_next_report_overtake(receiver):
    d = await started_dispatcher()
    d.send(vendor="v", url=receiver.url, body=b"A", plan=CallbackPlan(reorder=True))
    await asyncio.sleep(0.05)
    assert receiver.requests == []
    d.send(vendor="v", url=receiver.url, body=b"B")
    await receiver.wait_for(2)
    assert [r.body for r in receiver.requests] == [b"B", b"A"]
    await d.stop()


async def test_plan_reorder_without_a_follower_is_released_after_the_hold(receiver):
    d = await started_dispatcher(reorder_hold=0.1)
    record = d.send(vendor="v", url=receiver.url, body=b"A", plan=CallbackPlan(reorder=True))
    await receiver.wait_for(1)
    await d.drain()
    assert record.state == "delivered"
    await d.stop()


async def test_methods_get_and_put(receiver):
    d = await started_dispatcher()
    d.send(vendor="v", url=receiver.url + "?id=1&status=DELIVRD", body=b"", method="get")
    await receiver.wait_for(1)
    d.send(vendor="v", url=receiver.url, body=b"<x/>", method="PUT", headers={"Content-Type": "application/xml"})
    await receiver.wait_for(2)
    first, second = receiver.requests
    assert (first.method, first.query, first.body) == ("GET", {"id": "1", "status": "DELIVRD"}, b"")
    assert (second.method, second.body, second.headers["Content-Type"]) == ("PUT", b"<x/>", "application/xml")
    await d.stop()


async def test_accept_limits_what_counts_as_received(receiver):
    receiver.statuses = [204, 200]
    d = await started_dispatcher(frozen=False, backoff_initial=0.01)  # the retry runs on the clock
    record = d.send(vendor="v", url=receiver.url, body=b"x", accept=(200,))
    await receiver.wait_for(2)
    await d.drain()
    assert [a.status for a in record.attempts] == [204, 200] and record.state == "delivered"
    await d.stop()


# -- inspection and control -----------------------------------------------------------------------------
async def test_callback_filters(aiohttp_client, make_app, receiver):
    client = await aiohttp_client(make_app({"callbacks": {"batch_max": 1}}))
    one = await send(client, 1, receiver.url)
    await receiver.wait_for(1)
    dead = f"http://127.0.0.1:{free_port()}/x"
    two = await send(client, 2, dead)
    await settled(services_of(client), 2)
    assert [c["message_ids"] for c in await journal(client, message=one)] == [[one]]
    assert [c["message_ids"] for c in await journal(client, state="gave_up")] == [[two]]
    assert [c["message_ids"] for c in await journal(client, state="delivered", vendor="smartsmsbulk")] == [[one]]
    assert await journal(client, vendor="ants") == []
    assert [c["url"] for c in await journal(client, url=dead)] == [dead]
    assert len(await journal(client, limit=1)) == 1
    bad = await client.get("/_mock/callbacks", params={"state": "lost"})
    assert bad.status == 400
    single = await client.get(f"/_mock/callbacks/{(await journal(client, message=one))[0]['id']}")
    assert (await single.json())["message_ids"] == [one]
    assert (await client.get("/_mock/callbacks/cb-999")).status == 404


async def test_replay_sends_the_same_request_as_a_new_entry(client, receiver):
    ref = await send(client, 1, receiver.url)
    (first,) = await receiver.wait_for(1)
    await services_of(client).callbacks.drain()
    (record,) = await journal(client, message=ref)
    resp = await client.post(f"/_mock/callbacks/{record['id']}/replay")
    assert resp.status == 202
    replayed = await resp.json()
    assert replayed["id"] != record["id"] and replayed["note"] == f"replay of {record['id']}"
    second = (await receiver.wait_for(2))[1]
    assert second.body == first.body
    assert (await client.post("/_mock/callbacks/cb-999/replay")).status == 404


# -- URL policy -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://hooks.example.com/dr", True),
        ("https://hooks.example.com:8443/dr?x=1", True),
        ("ftp://hooks.example.com/dr", False),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("http:///nohost", False),
        ("http://hooks.example.com:99999/", False),
        ("http://hooks.example.com/a b", False),
        ("http://hooks.example.com/\n", False),
    ],
)
def test_only_http_and_https_urls(url, allowed):
    d = Dispatcher(Store(), Clock(), Randomness(1), CallbackSettings())
    assert d.url_allowed(url) is allowed


def test_allow_list_of_hosts():
    d = Dispatcher(Store(), Clock(), Randomness(1), CallbackSettings(allowed_hosts=("hooks.example.com", "*.ci.test")))
    assert d.url_allowed("https://hooks.example.com/dr")
    assert d.url_allowed("https://HOOKS.example.com/dr")
    assert d.url_allowed("http://a.ci.test/x") and d.url_allowed("http://b.a.ci.test/x")
    assert not d.url_allowed("http://ci.test/x")
    assert not d.url_allowed("http://169.254.169.254/latest/meta-data")
    assert not d.url_allowed("http://localhost:8080/")


async def test_refused_callback_url_is_the_vendors_own_error(aiohttp_client, make_app, receiver):
    client = await aiohttp_client(make_app({"callbacks": {"allowed_hosts": ["hooks.example.com"]}}))
    resp = await client.post(SEND, json=sms(1, receiver.url))  # 127.0.0.1 is not on the list
    assert resp.status == 200
    assert await resp.json() == {"status": "ERR", "detail": "Invalid parameter callbackUrl", "refId": None}
    assert await journal(client) == []


async def test_reset_forgets_waiting_callbacks(client, receiver):
    receiver.statuses = [500]
    await send(client, 1, receiver.url)
    await receiver.wait_for(1)
    await client.post("/_mock/reset")
    count = len(receiver.requests)
    await asyncio.sleep(0.3)
    assert len(receiver.requests) <= count + 1  # at most an attempt already in flight
    assert await journal(client) == []
