"""An async SmartSMSBulk client, written from the vendor's Postman collection.

Point ``base_url`` at ``https://services.smartsmsbulk.com`` for the real service or at
``http://127.0.0.1:8080/smartsmsbulk`` for the mock. Every method computes its ``chksum`` and
returns the vendor's answer as a dict; :func:`parse_delivery_callback` turns the body the
vendor POSTs to your ``callbackUrl`` into :class:`DeliveryReport` objects.

    async with SmartSMSBulkClient(base, user_id=42, partner_id=21, api_key="...") as sms:
        sent = await sms.send_sms("66812345678", "Hello", sender_id=25)
        report = await sms.query_dr(sent["refId"])
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from mockserver.clients.base import HttpClient
from mockserver.vendors.smartsmsbulk.checksums import checksum

PATHS = {
    "send_sms": "/api/v2/SendSMS",
    "send_bulk": "/api/v2/SendBulkSMS",
    "query_dr": "/api/delivery/QueryDR",
    "otp_send": "/api/OptSendSms/OptSendSms",
    "otp_verify": "/api/OptSendSms/OptVerify",
    "check_balance": "/api/credit/CheckBalance",
}


class SmartSMSBulkError(Exception):
    """``status`` ``ERR`` from the service; ``detail`` is the vendor's text."""

    def __init__(self, detail: str | None, answer: dict[str, Any]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.answer = answer


@dataclass(frozen=True)
class DeliveryReport:
    ref_id: str
    status: str  # "OK" delivered, "ERR" not
    detail: str
    phone_no: str
    message: str
    send_time: datetime

    @property
    def delivered(self) -> bool:
        return self.status == "OK"


def parse_delivery_callback(body: bytes | str) -> list[DeliveryReport]:
    """The reports in one delivery callback (a JSON array). Answer the request with HTTP 200."""
    items = json.loads(body)
    if not isinstance(items, list):
        raise ValueError("a SmartSMSBulk delivery callback is a JSON array")
    return [
        DeliveryReport(
            ref_id=item["refId"],
            status=item["status"],
            detail=item["detail"],
            phone_no=item["phoneNo"],
            message=item["message"],
            send_time=datetime.strptime(item["sendTime"], "%Y-%m-%d %H:%M:%S.%f"),
        )
        for item in items
    ]


class SmartSMSBulkClient(HttpClient):
    def __init__(
        self,
        base_url: str,
        *,
        user_id: int,
        partner_id: int,
        api_key: str,
        session: aiohttp.ClientSession | None = None,
        raise_on_error: bool = False,
    ) -> None:
        super().__init__(base_url, session)
        self.user_id = user_id
        self.partner_id = partner_id
        self.api_key = api_key
        self.raise_on_error = raise_on_error

    # -- operations --------------------------------------------------------------------------
    def sms_body(
        self, phone_no: str, message: str, *, sender_id: int, callback_url: str | None = None
    ) -> dict[str, Any]:
        """One SendSMS body (also one SendBulkSMS item), with its chksum."""
        body: dict[str, Any] = {
            "phoneNo": phone_no,
            "userId": self.user_id,
            "partnerId": self.partner_id,
            "senderId": sender_id,
            "message": message,
        }
        if callback_url is not None:
            body["callbackUrl"] = callback_url
        body["chksum"] = checksum("send_sms", body, self.api_key)
        return body

    async def send_sms(
        self, phone_no: str, message: str, *, sender_id: int, callback_url: str | None = None
    ) -> dict[str, Any]:
        return await self._post(
            "send_sms", self.sms_body(phone_no, message, sender_id=sender_id, callback_url=callback_url)
        )

    async def send_bulk(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """``items`` are :meth:`sms_body` results (at most 100)."""
        return await self._post("send_bulk", items)

    async def query_dr(self, ref_id: str) -> dict[str, Any]:
        body = {"refId": ref_id, "userId": self.user_id, "partnerId": self.partner_id}
        body["chksum"] = checksum("query_dr", body, self.api_key)
        return await self._post("query_dr", body, status_key="drStatus", detail_key="drDetail")

    async def otp_send(
        self, otp_id: str, phone_no: str, *, otp_code: str | None = None, ref_code: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "otpId": otp_id,
            "phoneNo": phone_no,
            "userId": self.user_id,
            "partnerId": self.partner_id,
        }
        body["chksum"] = checksum("otp_send", body, self.api_key)
        if otp_code is not None:
            body["otpCode"] = otp_code
        if ref_code is not None:
            body["refCode"] = ref_code
        return await self._post("otp_send", body)

    async def otp_verify(self, otp_id: str, phone_no: str, ref_code: str, otp_code: str) -> dict[str, Any]:
        return await self._post(
            "otp_verify", {"otpId": otp_id, "phoneNo": phone_no, "refCode": ref_code, "otpCode": otp_code}
        )

    async def check_balance(self, timestamp: int | None = None) -> dict[str, Any]:
        ts = int(time.time()) if timestamp is None else timestamp
        body: dict[str, Any] = {"userId": self.user_id, "partnerId": self.partner_id, "timestamp": ts}
        body["chksum"] = checksum("check_balance", body, self.api_key)
        return await self._post("check_balance", body)

    # -- transport ---------------------------------------------------------------------------
    async def _post(
        self, operation: str, body: Any, *, status_key: str = "status", detail_key: str = "detail"
    ) -> dict[str, Any]:
        async with self.session.post(self.base_url + PATHS[operation], json=body) as resp:
            answer = await resp.json(content_type=None)
        if self.raise_on_error and isinstance(answer, dict) and answer.get(status_key) == "ERR":
            raise SmartSMSBulkError(answer.get(detail_key), answer)
        return answer
