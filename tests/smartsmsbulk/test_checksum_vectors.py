"""Hand-computed chksum vectors for every signed SmartSMSBulk operation, from the seed's formulas.

Each vector's text is written out by hand in the seed's field order (see ``tests.smartsmsbulk.signing``)
and its digest was computed outside Python (``printf '%s' TEXT | md5sum``). The server must accept a
request signed with that digest and refuse one whose digest hashes the same fields in another order
(for most operations the order the fields appear in the seed's JSON body, the likeliest mistake).
The tests' signer, the server's formula table and the reference client must all give the vectors.

OptVerify and the delivery callback are not signed in the seed: the last tests check that the server
neither asks for nor sends a checksum there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from mockserver.clients.smartsmsbulk import SmartSMSBulkClient
from mockserver.vendors.smartsmsbulk import checksums as server_checksums
from tests.smartsmsbulk import signing
from tests.smartsmsbulk.conftest import BALANCE, BULK, OTP_SEND, OTP_VERIFY, QUERY, SEND, post

KEY_42 = "demo-smartsmsbulk-key-42"
KEY_6 = "demo-smartsmsbulk-key-6"
SEED_REF_ID = "20241226173310654-5ab708ec-25bb-493a-adf4-fb0cfb9ac691"  # the seed's QueryDR example
GREETING = "สวัสดีครับ วันนี้อากาศสดใส"  # the seed's SendBulkSMS message
FUTURE = 4102444800  # 2100-01-01T00:00:00Z: the clock can be moved there (it only moves forward)


@dataclass(frozen=True)
class Vector:
    operation: str
    path: str
    key: str
    body: dict[str, Any]
    text: str  # the seed's order, written out by hand
    md5: str  # computed with md5sum, not with Python
    wrong_text: str  # the same values in another order


VECTORS = [
    Vector(
        "send_sms",
        SEND,
        KEY_42,
        {"phoneNo": "66852262236", "userId": 42, "partnerId": 21, "senderId": 25, "message": "สวัสดี"},
        "42" + "21" + "25" + "66852262236" + "สวัสดี" + KEY_42,
        "230ce2d09548d1fbfee02cac08379f4f",
        "66852262236" + "42" + "21" + "25" + "สวัสดี" + KEY_42,  # the body's key order
    ),
    Vector(
        "send_bulk",
        BULK,
        KEY_6,
        {"phoneNo": "66818593778", "userId": 6, "partnerId": 2, "senderId": 40, "message": GREETING},
        "6" + "2" + "40" + "66818593778" + GREETING + KEY_6,
        "55065f174ef9654f09edf1bbf7ebd7d8",
        "66818593778" + "6" + "2" + "40" + GREETING + KEY_6,
    ),
    Vector(
        "send_bulk",
        BULK,
        KEY_6,
        {"phoneNo": "66818593779", "userId": 6, "partnerId": 2, "senderId": 40, "message": GREETING},
        "6" + "2" + "40" + "66818593779" + GREETING + KEY_6,
        "8526bde37d5d7744350c3f4d29f85c4c",
        "6" + "2" + "66818593779" + "40" + GREETING + KEY_6,  # phoneNo and senderId swapped
    ),
    Vector(
        "query_dr",
        QUERY,
        KEY_42,
        {"refId": SEED_REF_ID, "userId": 42, "partnerId": 21},
        "42" + "21" + SEED_REF_ID + KEY_42,
        "9f6e2055b36f774a9c8a1586a269cc90",
        SEED_REF_ID + "42" + "21" + KEY_42,
    ),
    Vector(
        "otp_send",
        OTP_SEND,
        KEY_42,
        {"otpId": "20241226547ED26AAA", "phoneNo": "66852262236", "userId": 42, "partnerId": 21},
        "20241226547ED26AAA" + "42" + "21" + "66852262236" + KEY_42,
        "e968cd844c53c497b38cc2f581070b35",
        "42" + "21" + "20241226547ED26AAA" + "66852262236" + KEY_42,  # otpId moved from first place
    ),
    Vector(
        "check_balance",
        BALANCE,
        KEY_42,
        {"userId": 42, "partnerId": 21, "timestamp": FUTURE},
        "42" + "21" + "4102444800" + KEY_42,
        "44ea67e4f680f3901b27a757c3c0885a",
        "4102444800" + "42" + "21" + KEY_42,
    ),
]
IDS = [v.operation + (f"-{v.body['phoneNo']}" if v.operation == "send_bulk" else "") for v in VECTORS]


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_the_digest_is_the_md5_of_the_text(vector):
    assert md5(vector.text) == vector.md5
    assert md5(vector.wrong_text) != vector.md5


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_the_tests_signer_gives_the_vector(vector):
    assert signing.signed_text(vector.operation, vector.body, vector.key) == vector.text
    assert signing.checksum(vector.operation, vector.body, vector.key) == vector.md5


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_the_servers_formula_gives_the_vector(vector):
    assert server_checksums.signed_text(vector.operation, vector.body, vector.key) == vector.text
    assert server_checksums.checksum(vector.operation, vector.body, vector.key) == vector.md5


def accepted(vector: Vector, answer: dict[str, Any]) -> bool:
    """Whether the server took the checksum; QueryDR of the seed's refId then answers 'Not found refId'."""
    if vector.operation == "send_bulk":
        (item,) = answer["data"]
        return item["status"] == "OK"
    if vector.operation == "query_dr":
        assert answer["drStatus"] == "ERR"
        return {"Not found refId": True, "Invalid checksum": False}[answer["drDetail"]]
    return answer["status"] == "OK"


async def send(client, vector: Vector, digest: str) -> dict[str, Any]:
    if vector.operation == "check_balance":
        moved = await client.post("/_mock/clock", json={"set": "2100-01-01T00:00:00+00:00", "freeze": True})
        assert moved.status == 200
    body = {**vector.body, "chksum": digest}
    _, answer, _ = await post(client, vector.path, [body] if vector.operation == "send_bulk" else body)
    return answer


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
async def test_the_server_accepts_the_vector(client, vector):
    answer = await send(client, vector, vector.md5)
    assert accepted(vector, answer), answer


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
async def test_the_server_refuses_the_fields_in_another_order(client, vector):
    answer = await send(client, vector, md5(vector.wrong_text))
    assert not accepted(vector, answer), answer
    detail = answer["data"][0]["detail"] if vector.operation == "send_bulk" else answer.get("detail")
    assert (detail or answer.get("drDetail")) == "Invalid checksum"


@pytest.fixture
async def capture(aiohttp_server):
    """A real server that records the reference client's request bodies and answers OK."""
    bodies: list[Any] = []

    async def handle(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.json_response({"status": "OK"})

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/"), bodies


def vector(operation: str, phone: str | None = None) -> Vector:
    return next(v for v in VECTORS if v.operation == operation and phone in (None, v.body.get("phoneNo")))


async def test_the_reference_client_signs_every_operation_like_the_vectors(capture):
    base, bodies = capture
    async with SmartSMSBulkClient(base, user_id=42, partner_id=21, api_key=KEY_42) as c:
        await c.send_sms("66852262236", "สวัสดี", sender_id=25)
        await c.query_dr(SEED_REF_ID)
        await c.otp_send("20241226547ED26AAA", "66852262236")
        await c.check_balance(timestamp=FUTURE)
    async with SmartSMSBulkClient(base, user_id=6, partner_id=2, api_key=KEY_6) as c:
        await c.send_bulk([c.sms_body(phone, GREETING, sender_id=40) for phone in ("66818593778", "66818593779")])
    send_sms, query_dr, otp_send, check_balance, bulk = bodies
    assert send_sms["chksum"] == vector("send_sms").md5
    assert query_dr["chksum"] == vector("query_dr").md5
    assert otp_send["chksum"] == vector("otp_send").md5
    assert check_balance["chksum"] == vector("check_balance").md5
    assert [item["chksum"] for item in bulk] == [
        vector("send_bulk", "66818593778").md5,
        vector("send_bulk", "66818593779").md5,
    ]


async def test_opt_verify_is_not_signed(client):
    await send(client, vector("otp_send"), vector("otp_send").md5)
    latest = await (await client.get("/_mock/otp", params={"vendor": "smartsmsbulk", "phone": "66852262236"})).json()
    body = {
        "otpId": "20241226547ED26AAA",
        "phoneNo": "66852262236",
        "refCode": latest["ref"],
        "otpCode": latest["code"],
    }
    _, answer, _ = await post(client, OTP_VERIFY, body)
    assert answer["status"] == "OK", answer


async def test_the_delivery_callback_carries_no_checksum(client, receiver):
    body = {**vector("send_sms").body, "callbackUrl": receiver.url}
    body["chksum"] = signing.checksum("send_sms", body, KEY_42)
    await post(client, SEND, body)
    (received,) = await receiver.wait_for(1)
    (report,) = received.json()
    assert "chksum" not in report and not any("sum" in name.lower() for name in received.headers)
