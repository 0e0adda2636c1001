"""Bad input of every class answers in SmartSMSBulk's own JSON shape: never HTML, never a trace."""

from __future__ import annotations

import pytest

from tests.smartsmsbulk.conftest import BALANCE, BULK, OTP_SEND, OTP_VERIFY, QUERY, SEND, sms

ALL = [SEND, BULK, QUERY, OTP_SEND, OTP_VERIFY, BALANCE]

BAD_BODIES = {
    "truncated JSON": b'{"phoneNo": ',
    "not JSON": b"hello",
    "empty": b"",
    "invalid UTF-8": b'{"message": "\xff\xfe"}',
    "lone surrogate": b'{"message": "\\ud800"}',
    "JSON null": b"null",
    "JSON number": b"42",
}


@pytest.mark.parametrize("path", ALL)
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_malformed_body(client, path, case):
    resp = await client.post(path, data=BAD_BODIES[case], headers={"Content-Type": "application/json"})
    assert resp.status == 200
    assert resp.content_type == "application/json"
    answer = await resp.json()
    detail = answer.get("detail", answer.get("drDetail"))
    if path == BULK:
        assert answer["status"] == "ERR" and answer["data"] == []
    assert detail == "Invalid request body"


async def test_object_where_bulk_wants_an_array_and_vice_versa(client):
    assert (await (await client.post(BULK, json=sms())).json())["detail"] == "Invalid request body"
    assert (await (await client.post(SEND, json=[sms()])).json())["detail"] == "Invalid request body"


@pytest.mark.parametrize(
    "field,value",
    [
        ("userId", True),
        ("userId", 4.2),
        ("userId", None),
        ("partnerId", [21]),
        ("senderId", "x"),
        ("message", 5),
        ("phoneNo", ["66852262236"]),
        ("chksum", 1),
    ],
)
async def test_wrong_types_are_vendor_errors(client, field, value):
    body = sms()
    body[field] = value
    resp = await client.post(SEND, json=body)
    answer = await resp.json()
    assert resp.status == 200 and answer["status"] == "ERR" and answer["refId"] is None
    assert answer["detail"].startswith(("Invalid parameter", "Invalid checksum", "Invalid format"))


@pytest.mark.parametrize("path", ALL)
async def test_missing_fields(client, path):
    answer = await (await client.post(path, json={} if path != BULK else [{}])).json()
    assert answer.get("status", answer.get("drStatus")) == "ERR"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_wrong_method_is_405_in_vendor_shape(client, method):
    resp = await client.request(method, SEND)
    assert resp.status == 405
    assert await resp.json() == {"status": "ERR", "detail": "Method not allowed"}


@pytest.mark.parametrize("path", ["/smartsmsbulk/", "/smartsmsbulk/api/v3/SendSMS", "/smartsmsbulk/nope/../x"])
async def test_unknown_path_is_404_in_vendor_shape(client, path):
    resp = await client.post(path, json={})
    assert resp.status == 404
    assert await resp.json() == {"status": "ERR", "detail": "Not found"}


async def test_unknown_path_on_the_real_host(client):
    resp = await client.get("/nothing", headers={"Host": "services.smartsmsbulk.com"})
    assert resp.status == 404 and (await resp.json())["status"] == "ERR"


async def test_body_over_one_mebibyte(client):
    big = sms(message="a" * (1024 * 1024))
    resp = await client.post(SEND, json=big)
    assert await resp.json() == {"status": "ERR", "detail": "Request body too large", "refId": None}


async def test_form_content_type_is_refused_but_missing_one_is_tolerated(client):
    import json

    data = json.dumps(sms()).encode()
    resp = await client.post(SEND, data=data, headers={"Content-Type": "text/plain"})
    assert (await resp.json())["detail"] == "Content-Type must be application/json"
    resp = await client.post(SEND, data=data, skip_auto_headers=["Content-Type"])
    assert (await resp.json())["status"] == "OK"


async def test_errors_are_journaled_with_their_outcome(client):
    await client.post(SEND, json={"userId": 1})
    journal = await (await client.get("/_mock/requests", params={"vendor": "smartsmsbulk"})).json()
    assert journal["requests"][0]["outcome"] == "INVALID_USER"
    assert journal["requests"][0]["operation"] == "send_sms"
