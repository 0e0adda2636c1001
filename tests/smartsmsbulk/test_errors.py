"""Every row of SmartSMSBulk's error table is produced by a real request, in the right shape.

``TRIGGERS`` maps each row to a request that provokes it; the first test fails if a row is added
to the table without a trigger here.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.vendors.smartsmsbulk.errors import ERRORS
from tests.smartsmsbulk.conftest import (
    BALANCE,
    BULK,
    OTP_SEND,
    OTP_VERIFY,
    PHONE,
    QUERY,
    SEND,
    balance,
    otp,
    query,
    sign,
    sms,
)

SCENARIO_ONLY = {"SYSTEM_ERROR", "SERVICE_UNAVAILABLE"}  # outages: reached through scenario rules


def _bad_sum(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "chksum": "0" * 32}


# row -> (path, JSON body) — or (path, raw bytes, headers)
TRIGGERS: dict[str, tuple] = {
    "INVALID_PHONE": (SEND, sms(phone="6685226223")),
    "INVALID_CHECKSUM": (SEND, _bad_sum(sms())),
    "INVALID_USER": (SEND, sms() | {"userId": 999}),
    "BULK_NOTHING_VALID": (BULK, [_bad_sum(sms())]),
    "OTP_ALREADY_VERIFIED": None,  # needs a flow: test_otp.py
    "OTP_NOT_VALID": (OTP_VERIFY, {"otpId": "20241226547ED26AAA", "phoneNo": PHONE, "refCode": "nope", "otpCode": "1"}),
    "OTP_EXPIRED": None,  # needs the clock: test_otp.py
    "REFID_NOT_FOUND": (QUERY, query("241226153934-99232fdc-f4ba-48f2-93ee-86513188d2b8")),
    "INVALID_TIMESTAMP": (BALANCE, balance(timestamp=1763321555000)),
    "INVALID_PARTNER": (SEND, sms() | {"partnerId": 2}),
    "INVALID_SENDER": (SEND, sms(senderId=40)),
    "INVALID_MESSAGE": (SEND, sms(message="   ")),
    "INVALID_CALLBACK": (SEND, sms(callbackUrl="ftp://partner.com/callback")),
    "INVALID_REFID": (QUERY, query("not-a-ref-id")),
    "INVALID_OTP_ID": (OTP_SEND, otp(otp_id="NOPE")),
    "INVALID_OTP_CODE": None,  # company-code config: test_otp.py
    "INVALID_REF_CODE": None,  # company-code config: test_otp.py
    "INSUFFICIENT_CREDIT": None,  # needs a small balance: test_send_sms.py
    "BULK_TOO_MANY": (BULK, [sms() for _ in range(101)]),
    "INVALID_BODY": (SEND, b'{"phoneNo": "66852262236",', {"Content-Type": "application/json"}),
    "UNSUPPORTED_MEDIA_TYPE": (SEND, b"phoneNo=66852262236", {"Content-Type": "application/x-www-form-urlencoded"}),
    "BODY_TOO_LARGE": (
        SEND,
        b'{"message": "' + b"a" * (1024 * 1024 + 10) + b'"}',
        {"Content-Type": "application/json"},
    ),
    "NOT_FOUND": ("/smartsmsbulk/api/v2/SendSMSX", sms()),
    "METHOD_NOT_ALLOWED": None,  # a GET: test_bad_input.py
}
ELSEWHERE = {name for name, trigger in TRIGGERS.items() if trigger is None}


def test_every_row_has_a_trigger():
    assert {row.name for row in ERRORS} == set(TRIGGERS) | SCENARIO_ONLY


@pytest.mark.parametrize("name", sorted(set(TRIGGERS) - ELSEWHERE))
async def test_row_is_produced_by_real_input(client, name):
    row = ERRORS[name]
    path, body, *headers = TRIGGERS[name]
    if isinstance(body, bytes):
        resp = await client.post(path, data=body, headers=headers[0])
    else:
        resp = await client.post(path, json=body)
    assert resp.status == row.status
    assert resp.content_type == "application/json"
    answer = await resp.json()
    detail_key = "drDetail" if path == QUERY else "detail"
    if path == BULK and name != "BULK_TOO_MANY":
        assert answer["status"] == "ERR"
        assert answer["detail"] == "Not found data for send SMS."
    else:
        assert answer[detail_key] == row.message


@pytest.mark.parametrize("name", sorted(SCENARIO_ONLY))
async def test_outage_rows_come_from_a_scenario_rule(aiohttp_client, make_app, tmp_path, name):
    scenario = tmp_path / "outage.yaml"
    scenario.write_text(
        f"rules:\n  - name: down\n    match: {{vendor: smartsmsbulk}}\n    respond: {{error: {name}}}\n"
    )
    client = await aiohttp_client(make_app(scenarios=[scenario]))
    resp = await client.post(SEND, json=sms())
    row = ERRORS[name]
    assert resp.status == row.status
    assert await resp.json() == {"status": "ERR", "detail": row.message, "refId": None}


async def test_error_shapes_follow_each_operation(client):
    bad = {"userId": 999}
    shapes = {
        SEND: {"status": "ERR", "detail": "Invalid parameter userId", "refId": None},
        QUERY: {"refId": None, "drStatus": "ERR", "drDetail": "Invalid parameter userId"},
        OTP_SEND: {"status": "ERR", "detail": "Invalid parameter userId", "refCode": None, "prefix": None},
        BALANCE: {"status": "ERR", "detail": "Invalid parameter userId", "creditBalance": 0},
        OTP_VERIFY: {"status": "ERR", "detail": "Invalid parameter otpId"},
    }
    for path, expected in shapes.items():
        resp = await client.post(path, json=bad)
        assert await resp.json() == expected, path
        assert list(await resp.json()) == list(expected), path


async def test_query_dr_error_echoes_the_ref_id(client):
    ref = "20241226173310654-5ab708ec-25bb-493a-adf4-fb0cfb9ac691"
    resp = await client.post(QUERY, json=sign("query_dr", {"refId": ref, "userId": 42, "partnerId": 21}, key="wrong"))
    assert await resp.json() == {"refId": ref, "drStatus": "ERR", "drDetail": "Invalid checksum"}
