"""OTP: request -> read the code from /_mock/otp -> verify; tries; expiry; resend."""

from __future__ import annotations

import re

import pytest

from mockserver.clients.ants import AntsError, parse_delivery_report
from tests.conftest import services_of

from .conftest import AUTH, OTC_ID, ants_client

PHONE = "0812345678"


async def _code(client, phone: str = PHONE) -> dict:
    resp = await client.get("/_mock/otp", params={"vendor": "ants", "phone": phone})
    assert resp.status == 200
    return await resp.json()


async def test_request_read_verify(client, ants, fmt):
    answer = await ants.request_otp(OTC_ID, PHONE)
    assert answer["otcId"] == OTC_ID
    assert re.fullmatch(r"[0-9a-f-]{36}", answer["otpId"])
    assert re.fullmatch(r"[A-Z0-9]{6}", answer["referenceCode"])
    assert answer["success"]["message"] == "Success"
    otp = await _code(client)
    assert re.fullmatch(r"\d{6}", otp["code"])
    assert otp["ref"] == answer["referenceCode"]
    assert otp["phone"] == "66812345678"
    assert otp["expires_at"] - otp["created_at"] == 300
    # the OTP went out as an SMS from the config's sender, and cost a credit
    (message,) = services_of(client).store.find_messages(vendor="ants", phone=PHONE)
    assert message.sender == "Verify" and otp["code"] in message.text and answer["referenceCode"] in message.text
    assert await ants.verify_otp(answer["otpId"], otp["code"]) == {
        "otpId": answer["otpId"],
        "result": True,
        "isErrorCount": False,
        "isExprCode": False,
    }
    with pytest.raises(AntsError) as info:  # a code works once
        await ants.verify_otp(answer["otpId"], otp["code"])
    assert info.value.error["description"] == "OTP has already been verified"


async def test_wrong_code_until_error_count(client, ants):
    otp_id = (await ants.request_otp(OTC_ID, PHONE))["otpId"]
    code = (await _code(client))["code"]
    wrong = "999999" if code != "999999" else "000000"
    seen = [await ants.verify_otp(otp_id, wrong) for _ in range(3)]  # tries: 3
    assert [(s["result"], s["isErrorCount"], s["isExprCode"]) for s in seen] == [
        (False, False, False),
        (False, False, False),
        (False, True, False),
    ]
    # tries are used up: even the right code is refused now
    assert await ants.verify_otp(otp_id, code) == {
        "otpId": otp_id,
        "result": False,
        "isErrorCount": True,
        "isExprCode": False,
    }


async def test_expiry_on_the_shared_clock(frozen):
    ants = ants_client(frozen)
    otp_id = (await ants.request_otp(OTC_ID, PHONE))["otpId"]
    code = (await _code(frozen))["code"]
    resp = await frozen.post("/_mock/clock", json={"advance": "299s"})
    assert resp.status == 200
    # still valid one second before expiry, but keep the code for after: check with a wrong one
    assert (await ants.verify_otp(otp_id, "x"))["isExprCode"] is False
    await frozen.post("/_mock/clock", json={"advance": "1s"})
    assert await ants.verify_otp(otp_id, code) == {
        "otpId": otp_id,
        "result": False,
        "isErrorCount": False,
        "isExprCode": True,
    }


async def test_resend_sends_a_new_code_under_the_same_otp_id(client, ants):
    first = await ants.request_otp(OTC_ID, PHONE)
    old = (await _code(client))["code"]
    again = await ants.resend_otp(first["otpId"])
    assert again["otpId"] == first["otpId"]
    new = await _code(client)
    assert new["ref"] == again["referenceCode"]
    assert len(services_of(client).store.find_messages(vendor="ants", phone=PHONE)) == 2
    if new["code"] != old:
        assert (await ants.verify_otp(first["otpId"], old))["result"] is False
    assert (await ants.verify_otp(first["otpId"], new["code"]))["result"] is True


async def test_otp_sms_gets_a_delivery_report(client, receiver):
    ants = ants_client(client)
    await ants.request_otp(
        OTC_ID, "66812345678", notify_url=receiver.url, notify_content_type="application/xml", callback_data="otp-1"
    )
    (got,) = await receiver.wait_for(1)
    detail = parse_delivery_report(got.body, got.headers["Content-Type"]).details[0]
    assert (detail.to, detail.sender, detail.callback_data) == ("66812345678", "Verify", "otp-1")
    assert (await _code(client))["code"] in detail.text


@pytest.mark.parametrize(
    ("path", "body", "description"),
    [
        ("/ants/otp/requestOTP", {"otcId": "00000000-0000-0000-0000-000000000000", "mobile": PHONE}, "Invalid otcId"),
        ("/ants/otp/requestOTP", {"mobile": PHONE}, "Invalid otcId"),
        ("/ants/otp/requestOTP", {"otcId": OTC_ID, "mobile": "12345"}, "Invalid mobile number"),
        (
            "/ants/otp/requestOTP",
            {"otcId": OTC_ID, "mobile": PHONE, "notifyUrl": "nope"},
            "notifyUrl must be an http(s) URL of at most 150 characters",
        ),
        ("/ants/otp/verifyOTP", {"otpId": "unknown", "otpCode": "123456"}, "Invalid otpId"),
        ("/ants/otp/resendOTP", {"otpId": 5}, "Invalid otpId"),
    ],
)
async def test_otp_request_errors(client, path, body, description):
    resp = await client.post(path, json=body, headers=AUTH)
    assert resp.status == 400
    assert (await resp.json())["error"]["description"] == description
    assert services_of(client).store.find_messages(vendor="ants") == []


async def test_otp_of_another_account_is_invalid(aiohttp_client, make_app):
    config = {
        "vendors": {
            "ants": {
                "accounts": [
                    {"username": "a", "password": "a", "senders": ["V"], "credit": 5},
                    {"username": "b", "password": "b", "senders": ["V"], "credit": 5},
                ],
                "otp_configs": [
                    {
                        "otcId": "11111111-2222-3333-4444-555555555555",
                        "username": "a",
                        "sender": "V",
                        "digits": 4,
                        "tries": 1,
                    }
                ],
            }
        }
    }
    client = await aiohttp_client(make_app(config))
    a, b = ants_client(client, user="a", password="a"), ants_client(client, user="b", password="b")
    with pytest.raises(AntsError):
        await b.request_otp("11111111-2222-3333-4444-555555555555", PHONE)
    otp_id = (await a.request_otp("11111111-2222-3333-4444-555555555555", PHONE))["otpId"]
    assert re.fullmatch(r"\d{4}", (await _code(client))["code"])  # digits from the config
    with pytest.raises(AntsError) as info:
        await b.verify_otp(otp_id, "1234")
    assert info.value.error["description"] == "Invalid otpId"
    assert (await a.verify_otp(otp_id, "x"))["isErrorCount"] is True  # tries: 1
