"""The /_mock/ inspection API."""

from __future__ import annotations

import time

from tests.conftest import services_of
from tests.smartsmsbulk.signing import checksum


def _sms(phone: str, text: str = "hello") -> dict:
    body = {"phoneNo": phone, "userId": 42, "partnerId": 21, "senderId": 25, "message": text}
    body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
    return body


async def _send(client, phone: str, text: str = "hello") -> str:
    resp = await client.post("/smartsmsbulk/api/v2/SendSMS", json=_sms(phone, text))
    return (await resp.json())["refId"]


async def test_health(client):
    health = await (await client.get("/_mock/health")).json()
    assert health["status"] == "ok" and health["seed"] == 1234 and health["messages"] == 0
    assert health["loop"] == "asyncio"  # the loop serving it (pytest's): benchmarks compare it with the ceiling's


async def test_health_reports_the_journal_against_its_cap(aiohttp_client, make_app):
    client = await aiohttp_client(make_app({"server": {"journal_size": 3}}))
    for n in range(5):
        await _send(client, f"6681111111{n}")
    health = await (await client.get("/_mock/health")).json()
    assert health["journal_size"] == 3
    assert health["messages"] == 3 and health["requests"] == 3 and health["dropped_messages"] == 2
    assert health["callbacks"] == 0 and health["otps"] == 0


async def test_vendors_lists_mounts_and_demo_credentials(client):
    vendors = await (await client.get("/_mock/vendors")).json()
    smart = next(v for v in vendors if v["name"] == "smartsmsbulk")
    assert smart["mounts"][0]["prefix"] == "/smartsmsbulk"
    assert {"name": "send_sms", "method": "POST", "path": "/api/v2/SendSMS"} in smart["mounts"][0]["operations"]
    assert smart["demo"]["accounts"][0]["apiKey"].startswith("demo-smartsmsbulk-key")


async def test_message_filters(client):
    a = await _send(client, "66811111111")
    cut = time.time()
    b = await _send(client, "0822222222")
    listing = await (await client.get("/_mock/messages")).json()
    assert [m["id"] for m in listing["messages"]] == [b, a]  # newest first
    by_phone = await (await client.get("/_mock/messages", params={"phone": "66822222222"})).json()
    assert [m["id"] for m in by_phone["messages"]] == [b]
    since = await (await client.get("/_mock/messages", params={"since": str(cut)})).json()
    assert [m["id"] for m in since["messages"]] == [b]
    none = await (await client.get("/_mock/messages", params={"vendor": "ants"})).json()
    assert none["count"] == 0
    bad = await client.get("/_mock/messages", params={"since": "yesterday"})
    assert bad.status == 400


async def test_unknown_message_and_otp(client):
    assert (await client.get("/_mock/messages/nope")).status == 404
    assert (await client.get("/_mock/otp", params={"phone": "66800000000"})).status == 404
    assert (await client.get("/_mock/otp")).status == 400


async def test_reset_restores_start_up_state(client):
    services = services_of(client)
    account = services.vendors["smartsmsbulk"].model.accounts[42]
    await _send(client, "66811111111")
    assert account.credit == 999
    resp = await client.post("/_mock/reset")
    assert resp.status == 200
    assert services.store.messages == {} or len(services.store.messages) == 0
    assert services.vendors["smartsmsbulk"].model.accounts[42].credit == 1000


async def test_manual_delivery_fires_the_report(client, receiver):
    body = _sms("66811111111")
    body["callbackUrl"] = receiver.url
    body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
    ref = (await (await client.post("/smartsmsbulk/api/v2/SendSMS", json=body)).json())["refId"]
    resp = await client.post(f"/_mock/messages/{ref}/deliver", json={"status": "failed"})
    assert (await resp.json())["status"] == "failed"
    (received,) = await receiver.wait_for(1)
    assert received.json()[0]["status"] == "ERR"


async def test_deliver_refuses_states_that_are_not_vendor_neutral(client):
    ref = await _send(client, "66811111111")
    for status in ("cancelled", "nonsense"):
        resp = await client.post(f"/_mock/messages/{ref}/deliver", json={"status": status})
        assert resp.status == 400
    assert services_of(client).store.get_message(ref).status != "cancelled"
