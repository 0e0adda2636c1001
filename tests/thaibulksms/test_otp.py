"""The OTP API on otp.thaibulksms.com: request -> PIN from /_mock/otp -> verify -> used up."""

from __future__ import annotations

import pytest

from ..conftest import services_of
from .conftest import OTP, OTP_APP


async def pin_for(client, phone: str) -> dict:
    resp = await client.get("/_mock/otp", params={"vendor": "thaibulksms", "phone": phone})
    assert resp.status == 200
    return await resp.json()


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
async def test_v2_request_verify_then_verify_again_fails(client, as_json: bool) -> None:
    body = {**OTP_APP, "msisdn": "0812345678"}
    resp = await (
        client.post(f"{OTP}/v2/otp/request", json=body) if as_json else client.post(f"{OTP}/v2/otp/request", data=body)
    )
    assert resp.status == 200
    data = await resp.json()
    assert list(data) == ["status", "token", "refno"] and data["status"] == "success"
    assert len(data["refno"]) == 6 and data["refno"].isalnum() and data["refno"].upper() == data["refno"]
    otp = await pin_for(client, "66812345678")
    assert otp["ref"] == data["refno"] and len(otp["code"]) == 6 and otp["code"].isdigit()
    message = services_of(client).store.get_message(otp["message_id"])
    assert message.text == f"TBS Code: {otp['code']}. Valid for 5 minutes."
    assert message.recipient == "66812345678" and message.operation == "otp_request"

    verify = {**OTP_APP, "token": data["token"], "pin": otp["code"]}
    resp = await client.post(f"{OTP}/v2/otp/verify", data=verify)
    assert resp.status == 200
    assert await resp.json() == {"status": "success", "message": "Code is correct."}
    resp = await client.post(f"{OTP}/v2/otp/verify", data=verify)
    assert resp.status == 400
    assert await resp.json() == {"code": 400, "errors": [{"message": "Token is expire.", "detail": None}]}


async def test_v1_paths_use_the_v1_wrapper(client) -> None:
    resp = await client.post(f"{OTP}/v1/otp/request", data={**OTP_APP, "msisdn": "+66898765432"})
    data = await resp.json()
    assert data["status"] == "success"
    otp = await pin_for(client, "0898765432")
    wrong = "000000" if otp["code"] != "000000" else "111111"
    resp = await client.post(f"{OTP}/v1/otp/verify", data={**OTP_APP, "token": data["token"], "pin": wrong})
    assert resp.status == 400
    assert await resp.json() == {"error": {"code": 400, "errors": [{"message": "Code is invalid.", "detail": None}]}}
    resp = await client.post(f"{OTP}/v1/otp/verify", data={**OTP_APP, "token": data["token"], "pin": otp["code"]})
    assert await resp.json() == {"status": "success", "message": "Code is correct."}
    resp = await client.post(f"{OTP}/v1/otp/verify", data={**OTP_APP, "token": data["token"], "pin": otp["code"]})
    assert (await resp.json())["error"]["errors"][0]["message"] == "Token is expire."


async def test_expired_token(client) -> None:
    data = await (await client.post(f"{OTP}/v2/otp/request", data={**OTP_APP, "msisdn": "0812345678"})).json()
    otp = await pin_for(client, "0812345678")
    await client.post("/_mock/clock", json={"advance": "5m"})
    resp = await client.post(f"{OTP}/v2/otp/verify", data={**OTP_APP, "token": data["token"], "pin": otp["code"]})
    assert (await resp.json())["errors"][0]["message"] == "Token is expire."


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("request", {"secret": "demo-otp-secret", "msisdn": "0812345678"}, "key is required."),
        ("request", {**OTP_APP, "secret": "wrong", "msisdn": "0812345678"}, "key or secret is invalid."),
        ("request", {**OTP_APP}, "msisdn is required."),
        ("request", {**OTP_APP, "msisdn": "021234567"}, "msisdn is invalid."),
        ("verify", {**OTP_APP, "pin": "123456"}, "token is required."),
        ("verify", {**OTP_APP, "token": "abc"}, "pin is required."),
    ],
)
async def test_invalid_parameters(client, path: str, body: dict, detail: str) -> None:
    resp = await client.post(f"{OTP}/v2/otp/{path}", data=body)
    assert resp.status == 400
    assert await resp.json() == {"code": 400, "errors": [{"message": "Invalid Paramete.", "detail": detail}]}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"{broken", "application/json"),
        (b"key=%FF", "application/x-www-form-urlencoded"),
        (b"key=demo-otp-key", "text/plain"),
        (b"key=" + b"k" * (1024 * 1024 + 1), "application/x-www-form-urlencoded"),
    ],
    ids=["bad json", "bad form", "wrong content type", "huge body"],
)
async def test_bad_bodies_answer_invalid_parameter(client, data: bytes, content_type: str) -> None:
    resp = await client.post(f"{OTP}/v2/otp/request", data=data, headers={"Content-Type": content_type})
    assert resp.status == 400
    body = await resp.json()
    assert body["errors"][0]["message"] == "Invalid Paramete." and body["code"] == 400


async def test_otp_routing_errors_and_real_host(client) -> None:
    resp = await client.get(f"{OTP}/v2/otp/request")
    assert resp.status == 405
    assert await resp.json() == {"code": 405, "errors": [{"message": "Method Not Allowed.", "detail": None}]}
    resp = await client.post(f"{OTP}/v3/otp/request")
    assert resp.status == 404
    resp = await client.post(
        "/v2/otp/request", data={**OTP_APP, "msisdn": "0812345678"}, headers={"Host": "otp.thaibulksms.com"}
    )
    assert resp.status == 200 and (await resp.json())["status"] == "success"
