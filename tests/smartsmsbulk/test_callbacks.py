"""Delivery callbacks reach a real receiver, in the seed's shape; only HTTP 200 counts."""

from __future__ import annotations

import asyncio
import re

from mockserver.clients.smartsmsbulk import parse_delivery_callback
from tests.conftest import services_of
from tests.smartsmsbulk.conftest import SEND, demo_account, post, sms


async def test_callback_arrives_with_the_seed_body(client, receiver):
    ref = (await post(client, SEND, sms(message="test", callbackUrl=receiver.url)))[1]["refId"]
    (received,) = await receiver.wait_for(1)
    assert received.method == "POST" and received.path == "/callback"
    assert received.headers["Content-Type"].startswith("application/json")
    body = received.json()
    assert isinstance(body, list) and len(body) == 1
    report = body[0]
    assert list(report) == ["refId", "status", "detail", "phoneNo", "message", "sendTime"]
    assert report["refId"] == ref
    assert (report["status"], report["detail"]) == ("OK", "Successfully sent to phone")
    assert (report["phoneNo"], report["message"]) == ("66852262236", "test")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", report["sendTime"])
    (parsed,) = parse_delivery_callback(received.body)
    assert parsed.ref_id == ref and parsed.delivered


async def test_receiver_answering_500_is_retried_until_200(client, receiver):
    receiver.statuses = [500, 500, 200]
    ref = (await post(client, SEND, sms(callbackUrl=receiver.url)))[1]["refId"]
    received = await receiver.wait_for(3)
    assert [r.json()[0]["refId"] for r in received] == [ref] * 3
    await services_of(client).callbacks.drain()
    listing = await (await client.get("/_mock/callbacks", params={"message": ref})).json()
    (record,) = listing["callbacks"]
    assert record["state"] == "delivered"
    assert [a["status"] for a in record["attempts"]] == [500, 500, 200]


async def test_only_200_counts_as_received(client, receiver):
    receiver.statuses = [204, 200]
    await post(client, SEND, sms(callbackUrl=receiver.url))
    await receiver.wait_for(2)
    await services_of(client).callbacks.drain()
    (record,) = (await (await client.get("/_mock/callbacks")).json())["callbacks"]
    assert [a["status"] for a in record["attempts"]] == [204, 200]


async def test_receiver_that_never_recovers_gives_up(client, receiver):
    receiver.statuses = [503]
    await post(client, SEND, sms(callbackUrl=receiver.url))
    await receiver.wait_for(4)  # FAST config: 4 attempts
    await services_of(client).callbacks.drain()
    (record,) = (await (await client.get("/_mock/callbacks", params={"state": "gave_up"})).json())["callbacks"]
    assert len(record["attempts"]) == 4


async def test_account_default_callback_url(aiohttp_client, make_app, receiver):
    config = {"vendors": {"smartsmsbulk": {"accounts": [demo_account(creditBalance=10, callback_url=receiver.url)]}}}
    client = await aiohttp_client(make_app(config))
    ref = (await post(client, SEND, sms()))[1]["refId"]
    (received,) = await receiver.wait_for(1)
    assert received.json()[0]["refId"] == ref


async def test_no_callback_without_a_url(aiohttp_client, make_app, receiver):
    # The receiver's URL is known to the server in two ways a careless server could misuse: another
    # account's default callback URL, and an earlier message's callbackUrl on this account. A message
    # that gives no URL on an account with no default must reach neither.
    accounts = [
        {"userId": 42, "partnerId": 21, "apiKey": "demo-smartsmsbulk-key-42", "senderIds": [25], "creditBalance": 10},
        {
            "userId": 6,
            "partnerId": 2,
            "apiKey": "demo-smartsmsbulk-key-6",
            "senderIds": [40],
            "creditBalance": 10,
            "callback_url": receiver.url,
        },
    ]
    client = await aiohttp_client(make_app({"vendors": {"smartsmsbulk": {"accounts": accounts}}}))
    with_url = (await post(client, SEND, sms(callbackUrl=receiver.url)))[1]["refId"]
    (first,) = await receiver.wait_for(1)  # the receiver works and the server knows its URL
    assert first.json()[0]["refId"] == with_url
    without_url = (await post(client, SEND, sms()))[1]["refId"]
    store = services_of(client).store
    for _ in range(200):
        if store.get_message(without_url).status == "delivered":
            break
        await asyncio.sleep(0.01)
    assert store.get_message(without_url).status == "delivered"
    await services_of(client).callbacks.drain()
    await asyncio.sleep(0.1)  # room for a stray report to arrive
    assert [r.json()[0]["refId"] for r in receiver.requests] == [with_url]
