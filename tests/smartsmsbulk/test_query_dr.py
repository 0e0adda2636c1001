"""QueryDR answers from the delivery lifecycle."""

from __future__ import annotations

import asyncio

from tests.conftest import services_of
from tests.smartsmsbulk.conftest import QUERY, SEND, post, query, sms


async def _wait_final(client, ref_id: str) -> None:
    message = services_of(client).store.get_message(ref_id)
    for _ in range(200):
        if message.status in ("delivered", "failed", "expired", "rejected"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(message.status)


async def test_waiting_then_delivered(client):
    ref = (await post(client, SEND, sms()))[1]["refId"]
    _, answer, _ = await post(client, QUERY, query(ref))
    assert answer == {"refId": ref, "drStatus": "WAIT", "drDetail": "Waiting for delivery report"}
    await _wait_final(client, ref)
    _, answer, _ = await post(client, QUERY, query(ref))
    assert answer == {"refId": ref, "drStatus": "OK", "drDetail": "Successfully sent to phone"}


async def test_failed_delivery_from_a_scenario_rule(aiohttp_client, make_app, tmp_path):
    scenario = tmp_path / "fail.yaml"
    scenario.write_text("rules:\n  - match: {recipient: '66899999998'}\n    delivery: {status: failed, after: 0.03}\n")
    client = await aiohttp_client(make_app(scenarios=[scenario]))
    ref = (await post(client, SEND, sms("66899999998")))[1]["refId"]
    await _wait_final(client, ref)
    _, answer, _ = await post(client, QUERY, query(ref))
    assert answer == {"refId": ref, "drStatus": "ERR", "drDetail": "Failed to send to phone"}


async def test_another_users_message_is_not_found(client):
    ref = (await post(client, SEND, sms()))[1]["refId"]
    _, answer, _ = await post(client, QUERY, query(ref, user=6))
    assert answer == {"refId": ref, "drStatus": "ERR", "drDetail": "Not found refId"}


async def test_seventeen_digit_ref_ids_are_well_formed(client):
    ref = "20241226173310654-5ab708ec-25bb-493a-adf4-fb0cfb9ac691"
    _, answer, _ = await post(client, QUERY, query(ref))
    assert answer["drDetail"] == "Not found refId"


async def test_advancing_the_clock_finishes_delivery(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(fast=False, frozen_clock=True))
    ref = (await post(client, SEND, sms()))[1]["refId"]
    assert (await post(client, QUERY, query(ref)))[1]["drStatus"] == "WAIT"
    resp = await client.post("/_mock/clock", json={"advance": "2s"})
    assert resp.status == 200
    assert (await post(client, QUERY, query(ref)))[1]["drStatus"] == "OK"
