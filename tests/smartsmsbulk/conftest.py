"""SmartSMSBulk test helpers: signed request bodies for the demo accounts."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.smartsmsbulk.signing import checksum

BASE = "/smartsmsbulk"
SEND = f"{BASE}/api/v2/SendSMS"
BULK = f"{BASE}/api/v2/SendBulkSMS"
QUERY = f"{BASE}/api/delivery/QueryDR"
OTP_SEND = f"{BASE}/api/OptSendSms/OptSendSms"
OTP_VERIFY = f"{BASE}/api/OptSendSms/OptVerify"
BALANCE = f"{BASE}/api/credit/CheckBalance"

KEYS = {42: "demo-smartsmsbulk-key-42", 6: "demo-smartsmsbulk-key-6"}
PARTNERS = {42: 21, 6: 2}
SENDERS = {42: 25, 6: 40}
OTP_ID = "20241226547ED26AAA"
PHONE = "66852262236"


def demo_account(**overrides: Any) -> dict[str, Any]:
    """Demo account 42 as a config entry (its key, partner and sender), with ``overrides``
    (``creditBalance``, ``callback_url``, ``strict``...): the account a test reconfigures."""
    return {"userId": 42, "partnerId": PARTNERS[42], "apiKey": KEYS[42], "senderIds": [SENDERS[42]], **overrides}


def sign(operation: str, body: dict[str, Any], user: int = 42, key: str | None = None) -> dict[str, Any]:
    body = dict(body)
    body["chksum"] = checksum(operation, body, key if key is not None else KEYS[user])
    return body


def sms(phone: str = PHONE, message: str = "สวัสดี", user: int = 42, **extra: Any) -> dict[str, Any]:
    body = {
        "phoneNo": phone,
        "userId": user,
        "partnerId": PARTNERS[user],
        "senderId": SENDERS[user],
        "message": message,
    }
    body.update(extra)
    return sign("send_sms", body, user)


def query(ref_id: str, user: int = 42) -> dict[str, Any]:
    return sign("query_dr", {"refId": ref_id, "userId": user, "partnerId": PARTNERS[user]}, user)


def otp(phone: str = PHONE, otp_id: str = OTP_ID, user: int = 42, **extra: Any) -> dict[str, Any]:
    body = sign("otp_send", {"otpId": otp_id, "phoneNo": phone, "userId": user, "partnerId": PARTNERS[user]}, user)
    body.update(extra)
    return body


def balance(user: int = 42, timestamp: int | None = None) -> dict[str, Any]:
    ts = int(time.time()) if timestamp is None else timestamp
    return sign("check_balance", {"userId": user, "partnerId": PARTNERS[user], "timestamp": ts}, user)


async def post(client, path: str, body: Any) -> tuple[int, Any, str]:
    resp = await client.post(path, json=body)
    text = await resp.text()
    return resp.status, await resp.json(content_type=None), text


@pytest.fixture
def post_json():
    return post
