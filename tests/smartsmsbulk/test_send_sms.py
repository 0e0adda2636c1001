"""SendSMS: success, every check in order, credits per part, the journal, the Host mount."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import services_of
from tests.smartsmsbulk.conftest import BALANCE, SEND, balance, demo_account, post, sign, sms

REF_ID = re.compile(r"^\d{12}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


async def test_seed_example_is_accepted_with_the_seed_shape(client):
    # The seed's request body, signed with the demo key (the seed's chksum is for its real key).
    status, answer, text = await post(
        client, SEND, sms("66852262236", "สวัสดี", callbackUrl="https://partner.com/callback")
    )
    assert status == 200
    assert list(answer) == ["status", "detail", "refId"]
    assert answer["status"] == "OK" and answer["detail"] == "SUCCESS"
    assert REF_ID.match(answer["refId"])
    assert text == json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


async def test_ids_as_numeric_strings_are_accepted(client):
    body = sign(
        "send_sms", {"phoneNo": "0852262236", "userId": "42", "partnerId": "21", "senderId": "25", "message": "hi"}
    )
    _, answer, _ = await post(client, SEND, body)
    assert answer["status"] == "OK"
    message = services_of(client).store.get_message(answer["refId"])
    assert message.recipient == "66852262236"  # national form normalised


async def test_message_is_journaled_and_visible_in_the_inspection_api(client):
    _, answer, _ = await post(client, SEND, sms(message="สวัสดีครับ"))
    resp = await client.get("/_mock/messages", params={"vendor": "smartsmsbulk", "phone": "0852262236"})
    listing = await resp.json()
    assert listing["count"] == 1
    entry = listing["messages"][0]
    assert entry["id"] == answer["refId"]
    assert entry["text"] == "สวัสดีครับ" and entry["encoding"] == "UCS-2" and entry["parts"] == 1
    detail = await (await client.get(f"/_mock/messages/{answer['refId']}")).json()
    assert json.loads(detail["request"]["body"])["message"] == "สวัสดีครับ"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("ก" * 70, 1),
        ("ก" * 71, 2),
        ("ก" * 134, 2),
        ("ก" * 135, 3),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
    ],
)
async def test_credits_are_deducted_per_part(client, text, parts):
    before = (await post(client, BALANCE, balance()))[1]["creditBalance"]
    _, answer, _ = await post(client, SEND, sms(message=text))
    assert answer["status"] == "OK"
    after = (await post(client, BALANCE, balance()))[1]["creditBalance"]
    assert before - after == parts


async def test_insufficient_credit_sends_nothing(aiohttp_client, make_app):
    config = {"vendors": {"smartsmsbulk": {"accounts": [demo_account(creditBalance=1)]}}}
    client = await aiohttp_client(make_app(config))
    _, answer, _ = await post(client, SEND, sms(message="ก" * 71))
    assert answer == {"status": "ERR", "detail": "Insufficient credit balance", "refId": None}
    assert (await post(client, BALANCE, balance()))[1]["creditBalance"] == 1
    assert not services_of(client).store.messages


async def test_real_host_header_reaches_the_real_path(client):
    resp = await client.post("/api/v2/SendSMS", json=sms(), headers={"Host": "services.smartsmsbulk.com"})
    assert (await resp.json())["status"] == "OK"
    resp = await client.post("/api/v2/SendSMS", json=sms(), headers={"Host": "services.smartsmsbulk.com:8080"})
    assert (await resp.json())["status"] == "OK"


async def test_same_seed_gives_the_same_ref_ids(aiohttp_client, make_app):
    runs = []
    for _ in range(2):
        client = await aiohttp_client(make_app(seed=99))
        ids = [(await post(client, SEND, sms()))[1]["refId"].split("-", 1)[1] for _ in range(3)]
        runs.append(ids)
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 3


async def test_journal_is_bounded_oldest_dropped_first(aiohttp_client, make_app):
    client = await aiohttp_client(make_app({"server": {"journal_size": 3}}))
    ids = [(await post(client, SEND, sms()))[1]["refId"] for _ in range(5)]
    store = services_of(client).store
    assert list(store.messages) == ids[2:]
    assert store.dropped_messages == 2
