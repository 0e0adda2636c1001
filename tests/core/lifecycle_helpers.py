"""Helpers for the delivery, clock and callback tests: signed SmartSMSBulk sends, big accounts.

SmartSMSBulk is the vendor these tests drive because it is the core's worked example; the
behaviour under test (lifecycle, clock, dispatcher) is vendor-neutral.
"""

from __future__ import annotations

from typing import Any

from tests.smartsmsbulk.signing import checksum

SEND = "/smartsmsbulk/api/v2/SendSMS"
BULK = "/smartsmsbulk/api/v2/SendBulkSMS"
OTP_SEND = "/smartsmsbulk/api/OptSendSms/OptSendSms"
OTP_VERIFY = "/smartsmsbulk/api/OptSendSms/OptVerify"
KEY = "demo-smartsmsbulk-key-42"
OTP_ID = "20241226547ED26AAA"

# One demo account with credit for the large tests (a vendors: section replaces the bundled one).
BIG_ACCOUNT = {
    "vendors": {
        "smartsmsbulk": {
            "accounts": [
                {"userId": 42, "partnerId": 21, "apiKey": KEY, "senderIds": [25], "creditBalance": 1_000_000}
            ],
            "otp_configs": [
                {"otpId": OTP_ID, "userId": 42, "digits": 4, "ref_length": 8, "prefix": "PRT",
                 "validity_seconds": 300, "senderId": 25}
            ],
        }
    }
}  # fmt: skip


def phone(n: int) -> str:
    return f"668{n:08d}"


def sms(n: int, callback_url: str | None = None, text: str = "hello", operation: str = "send_sms") -> dict[str, Any]:
    body: dict[str, Any] = {"phoneNo": phone(n), "userId": 42, "partnerId": 21, "senderId": 25, "message": text}
    if callback_url is not None:
        body["callbackUrl"] = callback_url
    body["chksum"] = checksum(operation, body, KEY)
    return body


async def send(client, n: int = 0, callback_url: str | None = None, text: str = "hello") -> str:
    resp = await client.post(SEND, json=sms(n, callback_url, text))
    data = await resp.json()
    assert data["status"] == "OK", data
    return data["refId"]


async def send_bulk(client, first: int, count: int, callback_url: str | None) -> list[str]:
    """``count`` messages in SendBulkSMS requests of at most 100; returns their refIds."""
    refs: list[str] = []
    for start in range(first, first + count, 100):
        items = [sms(n, callback_url, operation="send_bulk") for n in range(start, min(first + count, start + 100))]
        data = await (await client.post(BULK, json=items)).json()
        assert data["totalValid"] == len(items), data
        refs.extend(item["refId"] for item in data["data"])
    return refs


def reports(receiver) -> list[dict[str, Any]]:
    """Every SmartSMSBulk report the receiver got (callbacks are JSON arrays)."""
    return [report for request in receiver.requests for report in request.json()]


QUERY = "/smartsmsbulk/api/delivery/QueryDR"


async def query_dr(client, ref: str) -> dict[str, Any]:
    body = {"refId": ref, "userId": 42, "partnerId": 21}
    body["chksum"] = checksum("query_dr", body, KEY)
    return await (await client.post(QUERY, json=body)).json()


async def wait_reports(receiver, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Wait until the receiver has ``count`` reports in all (batched or not)."""
    import asyncio

    async def poll() -> None:
        while len(reports(receiver)) < count:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)
    return reports(receiver)
