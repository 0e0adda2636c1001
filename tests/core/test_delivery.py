"""The delivery lifecycle: states with timestamps, default timings, scenario rules, by-hand reports."""

from __future__ import annotations

import asyncio

import pytest

from mockserver.app import SERVICES

from .lifecycle_helpers import query_dr, reports, send, wait_reports


async def wait_status(services, ref: str, status: str, timeout: float = 2.0) -> None:
    async def poll() -> None:
        while services.store.get_message(ref).status != status:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def test_message_moves_accepted_sent_delivered_in_real_time(client):
    services = client.server.app[SERVICES]
    ref = await send(client)
    assert services.store.get_message(ref).status == "accepted"
    await wait_status(services, ref, "delivered")
    timeline = services.store.get_message(ref).timeline
    assert [s for s, _ in timeline] == ["accepted", "sent", "delivered"]
    created = timeline[0][1]
    assert timeline[1][1] - created == pytest.approx(0.02)  # FAST sent_after
    assert timeline[2][1] - created == pytest.approx(0.05)  # FAST final_after


async def test_query_answers_from_the_lifecycle(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(frozen_clock=True))
    ref = await send(client)
    assert (await query_dr(client, ref))["drStatus"] == "WAIT"
    await client.post("/_mock/clock", json={"advance": "1s"})
    assert (await query_dr(client, ref))["drStatus"] == "OK"


def scenario(tmp_path, text: str):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return [path]


async def test_scenario_delivery_rule_sets_outcome_timing_and_code(aiohttp_client, make_app, tmp_path, receiver):
    rules = scenario(
        tmp_path,
        """
rules:
  - name: unlucky
    match: {recipient: "66800000001"}
    delivery: {status: failed, after: 10m, code: 17}
""",
    )
    client = await aiohttp_client(make_app(scenarios=rules, frozen_clock=True))
    services = client.server.app[SERVICES]
    lucky, unlucky = await send(client, 0, receiver.url), await send(client, 1, receiver.url)
    await client.post("/_mock/clock", json={"advance": "1s"})
    assert services.store.get_message(lucky).status == "delivered"
    assert services.store.get_message(unlucky).status == "sent"
    await client.post("/_mock/clock", json={"advance": "10m"})
    message = services.store.get_message(unlucky)
    assert message.status == "failed" and message.final["code"] == "17"
    assert message.timeline[-1][1] - message.created_at == pytest.approx(600)
    await wait_reports(receiver, 2)  # the two may share one batched callback
    by_ref = {r["refId"]: r["status"] for r in reports(receiver)}
    assert by_ref == {lucky: "OK", unlucky: "ERR"}


async def test_pending_rule_keeps_the_message_in_flight_until_finished_by_hand(aiohttp_client, make_app, tmp_path):
    rules = scenario(tmp_path, "rules:\n  - match: {vendor: smartsmsbulk}\n    delivery: {status: pending}\n")
    client = await aiohttp_client(make_app(scenarios=rules, frozen_clock=True))
    services = client.server.app[SERVICES]
    ref = await send(client)
    await client.post("/_mock/clock", json={"advance": "30d"})
    assert services.store.get_message(ref).status == "sent"
    assert (await query_dr(client, ref))["drStatus"] == "WAIT"
    resp = await client.post(f"/_mock/messages/{ref}/deliver", json={"status": "expired"})
    assert (await resp.json())["status"] == "expired"
    assert (await query_dr(client, ref)) == {"refId": ref, "drStatus": "ERR", "drDetail": "Message expired"}


async def test_deliver_by_hand_fires_the_report_at_once(aiohttp_client, make_app, receiver):
    client = await aiohttp_client(make_app(frozen_clock=True))
    ref = await send(client, 3, receiver.url)
    resp = await client.post(f"/_mock/messages/{ref}/deliver", json={"status": "failed", "code": 42})
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "failed" and body["final"]["code"] == "42"
    assert [t["status"] for t in body["timeline"]] == ["accepted", "sent", "failed"]
    (received,) = await receiver.wait_for(1)
    assert received.json()[0]["refId"] == ref and received.json()[0]["status"] == "ERR"
    # The scheduled steps no longer apply: the clock moving on changes nothing.
    await client.post("/_mock/clock", json={"advance": "1h"})
    assert client.server.app[SERVICES].store.get_message(ref).status == "failed"


async def test_deliver_by_hand_again_fires_the_report_again(client, receiver):
    services = client.server.app[SERVICES]
    ref = await send(client, 4, receiver.url)
    await wait_status(services, ref, "delivered")
    await receiver.wait_for(1)
    resp = await client.post(f"/_mock/messages/{ref}/deliver", json={})
    assert resp.status == 200
    await receiver.wait_for(2)
    assert [r["refId"] for r in reports(receiver)] == [ref, ref]


@pytest.mark.parametrize("body", [{"status": "lost"}, {"status": 3}, {"status": "delivered", "code": [1]}])
async def test_deliver_by_hand_refuses_bad_bodies(client, body):
    ref = await send(client)
    resp = await client.post(f"/_mock/messages/{ref}/deliver", json=body)
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_deliver_unknown_message_is_404(client):
    resp = await client.post("/_mock/messages/nope/deliver", json={"status": "delivered"})
    assert resp.status == 404


async def test_cancelled_message_stays_cancelled(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(frozen_clock=True))
    services = client.server.app[SERVICES]
    ref = await send(client)
    message = services.store.get_message(ref)
    services.delivery.cancel(message, "rejected")
    await client.post("/_mock/clock", json={"advance": "1h"})
    assert [s for s, _ in message.timeline] == ["accepted", "rejected"]


async def test_a_vendor_report_bug_does_not_stop_other_lifecycles(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(frozen_clock=True))
    services = client.server.app[SERVICES]
    good = await send(client, 1)
    bad = await send(client, 2)
    original = services.delivery.listeners["smartsmsbulk"]

    def listener(message):
        if message.id == bad:
            raise RuntimeError("boom")
        original(message)

    services.delivery.listeners["smartsmsbulk"] = listener
    await client.post("/_mock/clock", json={"advance": "2s"})
    assert services.store.get_message(good).status == "delivered"
    assert services.store.get_message(bad).status == "delivered"


async def test_same_seed_gives_the_same_timeline(aiohttp_client, make_app):
    timelines = []
    for _ in range(2):
        client = await aiohttp_client(make_app(frozen_clock=True, seed=7))
        services = client.server.app[SERVICES]
        ref = await send(client)
        await client.post("/_mock/clock", json={"advance": "5s"})
        message = services.store.get_message(ref)
        # The refId's yyMMddHHmmss prefix is the (real) start instant: the seeded part follows it.
        timelines.append((ref.split("-", 1)[1], [(s, round(t - message.created_at, 6)) for s, t in message.timeline]))
    assert timelines[0] == timelines[1]
