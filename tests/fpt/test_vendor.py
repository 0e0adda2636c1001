"""The vendor interface: sample requests work as they are, recipients are valid and distinct."""

from __future__ import annotations

from mockserver.app import SERVICES
from mockserver.vendors.fpt.models import normalize_vn


async def test_sample_send_works_in_one_request(client):
    vendor = client.server.app[SERVICES].vendors["fpt"]
    sample = vendor.sample_send(vendor.sample_recipient(42), "Xin chào từ sms-mockserver")
    response = await client.request(sample.method, sample.path, data=sample.body, headers=dict(sample.headers))
    data = await response.json()
    assert response.status == 200, data
    assert data["Phone"] == vendor.sample_recipient(42) and data["Message"] == "Xin chào từ sms-mockserver"
    [message] = (await (await client.get("/_mock/messages")).json())["messages"]
    assert message["operation"] == sample.operation


def test_sample_recipients_are_valid_distinct_and_canonical(make_app):
    vendor = make_app()[SERVICES].vendors["fpt"]
    numbers = [vendor.sample_recipient(n) for n in range(1000)]
    assert len(set(numbers)) == 1000
    for number in numbers:
        assert normalize_vn(number) == (number, "mobi")


async def test_describe_lists_the_demo_credentials(client):
    vendors = await (await client.get("/_mock/vendors")).json()
    [fpt] = [v for v in vendors if v["name"] == "fpt"]
    [account] = fpt["demo"]["accounts"]
    assert account["client_id"] == "e615D85fc918f252e1754Ce2391c8Ef923AAB401"
    assert account["brandnames"] == ["FTI"] and account["partner_id"] == "556"
    assert account["tokens"] == [
        {"access_token": "demo-fpt-access-token", "session_id": "abcde", "scope": "send_brandname_otp send_brandname"}
    ]
    assert fpt["mounts"][0]["hosts"] == [
        "app.sms.fpt.net",
        "sandbox.sms.fpt.net",
        "api01.sms.fpt.net",
        "service.sms.fpt.net",
    ]


async def test_same_seed_same_ids(aiohttp_client, make_app):
    from .conftest import token_body

    tokens = []
    for _ in range(2):
        client = await aiohttp_client(make_app(seed=99))
        response = await client.post("/fpt/oauth2/token", json=token_body())
        tokens.append((await response.json())["access_token"])
    assert tokens[0] == tokens[1]
