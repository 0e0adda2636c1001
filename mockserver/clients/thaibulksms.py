"""Reference async client for ThaiBulkSMS API v2: SMS send and credit, the OTP API, and a parser
for the delivery reports ThaiBulkSMS sends to a ``callback_url``.

Written against the vendor's document, as a customer would: sends are form-encoded (as the
vendor's own examples), authentication is HTTP Basic with the API key and secret. Point
``base_url``/``otp_base_url`` at the mock (``http://127.0.0.1:8080/thaibulksms`` and
``http://127.0.0.1:8080/thaibulksms-otp``) or leave the real hosts.

    async with ThaiBulkSMSClient(KEY, SECRET, base_url=...) as sms:
        result = await sms.send(["0812345678"], "Hello", sender="Demo")
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from mockserver.clients.base import HttpClient

SMS_BASE_URL = "https://api-v2.thaibulksms.com"
OTP_BASE_URL = "https://otp.thaibulksms.com"


class ThaiBulkSMSError(Exception):
    """An SMS API error answer: ``{"error": {"code", "name", "description"}}``."""

    def __init__(self, status: int, code: int | str | None, name: str, description: str) -> None:
        super().__init__(f"{status} {name} ({code}): {description}")
        self.status, self.code, self.name, self.description = status, code, name, description


class ThaiBulkOtpError(Exception):
    """An OTP API error answer: ``{"code", "errors": [{"message", "detail"}]}`` (v1: in ``error``)."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        self.status = status
        self.errors = errors
        self.messages = [str(e.get("message")) for e in errors]
        super().__init__(f"{status}: {'; '.join(self.messages)}")

    @property
    def message(self) -> str:
        return self.messages[0] if self.messages else ""


@dataclass(frozen=True, slots=True)
class SentNumber:
    number: str
    message_id: str
    used_credit: int


@dataclass(frozen=True, slots=True)
class BadNumber:
    number: str
    message: str


@dataclass(frozen=True, slots=True)
class SendResult:
    remaining_credit: int
    total_use_credit: int
    credit_type: str
    phone_number_list: tuple[SentNumber, ...]
    bad_phone_number_list: tuple[BadNumber, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SendResult:
        return cls(
            remaining_credit=data["remaining_credit"],
            total_use_credit=data["total_use_credit"],
            credit_type=data["credit_type"],
            phone_number_list=tuple(
                SentNumber(p["number"], p["message_id"], p["used_credit"]) for p in data["phone_number_list"]
            ),
            bad_phone_number_list=tuple(BadNumber(b["number"], b["message"]) for b in data["bad_phone_number_list"]),
        )


@dataclass(frozen=True, slots=True)
class OtpRequest:
    token: str
    refno: str


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    message_id: str
    msisdn: str
    status: str  # DELIVERED, UNDELIVERED, EXPIRED, REJECTED
    sent_time: datetime | None
    done_time: datetime | None
    error_message: str
    tags: tuple[str, ...]

    @property
    def delivered(self) -> bool:
        return self.status == "DELIVERED"


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def parse_delivery_report(method: str, query: Mapping[str, str], body: bytes) -> DeliveryReport:
    """A delivery report as your webhook receives it: query parameters for GET, JSON for POST/PUT."""
    data: Mapping[str, Any] = query if method.upper() == "GET" else json.loads(body)
    tag = data.get("tag") or ""
    return DeliveryReport(
        message_id=str(data["message_id"]),
        msisdn=str(data["msisdn"]),
        status=str(data["status"]),
        sent_time=_time(data.get("sent_time")),
        done_time=_time(data.get("done_time")),
        error_message=str(data.get("error_message") or ""),
        tags=tuple(t for t in str(tag).split(",") if t),
    )


class ThaiBulkSMSClient(HttpClient):
    """The SMS API (``POST /sms``, ``GET /credit``) with HTTP Basic api_key:api_secret."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        *,
        base_url: str = SMS_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(base_url, session, timeout)
        token = base64.b64encode(f"{api_key}:{api_secret}".encode()).decode("ascii")
        self._headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        async with self.session.request(method, self.base_url + path, headers=self._headers, **kw) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400 or (isinstance(data, dict) and "error" in data):
                err = data.get("error", {}) if isinstance(data, dict) else {}
                raise ThaiBulkSMSError(resp.status, err.get("code"), str(err.get("name")), str(err.get("description")))
            return data

    async def send(
        self,
        msisdn: str | Sequence[str],
        message: str,
        sender: str,
        *,
        force: str | None = None,
        scheduled_delivery: datetime | str | None = None,
        shorten_url: bool | None = None,
        callback_url: str | None = None,
        callback_method: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> SendResult:
        """Send ``message`` to one number or up to 500 (form-encoded, as the vendor's examples)."""
        form: dict[str, str] = {
            "msisdn": msisdn if isinstance(msisdn, str) else ",".join(msisdn),
            "message": message,
            "sender": sender,
        }
        if force is not None:
            form["force"] = force
        if scheduled_delivery is not None:
            form["scheduled_delivery"] = (
                scheduled_delivery.isoformat(timespec="seconds")
                if isinstance(scheduled_delivery, datetime)
                else scheduled_delivery
            )
        if shorten_url is not None:
            form["shorten_url"] = "true" if shorten_url else "false"
        if callback_url is not None:
            form["callback_url"] = callback_url
        if callback_method is not None:
            form["callback_method"] = callback_method
        if tags:
            form["tag"] = ",".join(tags)
        return SendResult.from_json(await self._call("POST", "/sms", data=form))

    async def credit(self, force: str | None = None) -> dict[str, int]:
        """Remaining credit per type (``{"standard": N, "corporate": N}``; one key with ``force``)."""
        params = {"force": force} if force else None
        data = await self._call("GET", "/credit", params=params)
        return dict(data["remaining_credit"])


class ThaiBulkOtpClient(HttpClient):
    """The OTP API: the OTP app's key and secret travel in each (form-encoded) body."""

    def __init__(
        self,
        key: str,
        secret: str,
        *,
        base_url: str = OTP_BASE_URL,
        version: str = "v2",
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(base_url, session, timeout)
        self.key, self.secret, self.version = key, secret, version

    async def _call(self, action: str, form: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base_url}/{self.version}/otp/{action}"
        body = {"key": self.key, "secret": self.secret, **form}
        async with self.session.post(url, data=body, headers={"Accept": "application/json"}) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                wrapper = data.get("error", data) if isinstance(data, dict) else {}
                raise ThaiBulkOtpError(resp.status, list(wrapper.get("errors") or []))
            return data

    async def request(self, msisdn: str) -> OtpRequest:
        data = await self._call("request", {"msisdn": msisdn})
        return OtpRequest(data["token"], data["refno"])

    async def verify(self, token: str, pin: str) -> str:
        """The success message (``Code is correct.``); a wrong or used code raises ThaiBulkOtpError."""
        data = await self._call("verify", {"token": token, "pin": pin})
        return str(data["message"])
