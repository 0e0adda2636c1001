"""Reference async client for the ANTS API (``https://api-service.ants.co.th``), and a parser
for its delivery reports.

Written against the vendor's documents, not against the mock's code: point ``base_url`` at the
real host or at the mock (``http://127.0.0.1:8080/ants``). Requests go as JSON, or as XML in the
vendor's element style with ``xml=True`` (the answer is then requested as XML too); answers of
either format come back as the same plain data, except that XML carries every scalar as a
string. Non-2xx answers raise :class:`AntsError` with the vendor's ``error`` object.

>>> async with AntsClient("http://127.0.0.1:8080/ants", "demo", "demo-ants-pass") as ants:
...     sent = await ants.send_sms("ANTS", ["66812345678"], "Hello")
...     otp = await ants.request_otp("0DC8E7AD-5D4B-4D7B-9C8E-6F2A1B3C4D5E", "66812345678")
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import aiohttp
from defusedxml import ElementTree as SafeET

from mockserver.clients.base import HttpClient

_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
# XML containers whose children are list items, and the item element names we write.
_LISTS = {"messages": "message", "destinations": "destination", "details": "detail", "senders": "sender"}
_LIST_ROOTS = frozenset({"LOGINFO"})  # documents that are a list at the top


class AntsError(Exception):
    """A non-2xx answer: ``status`` and the vendor's ``error`` object (``code``, ``name``, ``description``)."""

    def __init__(self, status: int, error: Mapping[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {error.get('code')} {error.get('description')}")
        self.status = status
        self.error = dict(error)


# -- XML ------------------------------------------------------------------------------------------
def _to_element(parent: Element, key: str, value: Any) -> None:
    element = SubElement(parent, key)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _to_element(element, k, v)
    elif isinstance(value, list):
        for item in value:
            _to_element(element, _LISTS.get(key, "item"), item)
    elif value is not None:
        element.text = "true" if value is True else "false" if value is False else str(value)


def xml_document(root: str, data: Mapping[str, Any]) -> bytes:
    element = Element(root)
    for key, value in data.items():
        _to_element(element, key, value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + tostring(element, encoding="utf-8", xml_declaration=False)


def _from_element(element: Element) -> Any:
    children = list(element)
    if element.tag in _LISTS or element.tag in _LIST_ROOTS:
        return [_from_element(c) for c in children]
    if not children:
        return None if element.get(_XSI_NIL) == "true" else (element.text or "")
    return {c.tag: _from_element(c) for c in children}


def parse_xml(raw: bytes) -> Any:
    """An ANTS XML document as plain data (defusedxml: no DTDs, no entities)."""
    return _from_element(SafeET.fromstring(raw, forbid_dtd=True))


# -- delivery reports -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportStatus:
    code: str
    name: str
    description: str


@dataclass(frozen=True)
class ReportDetail:
    message_id: str
    to: str
    sender: str
    text: str
    credit: Decimal
    send_date: str
    done_date: str | None
    status: ReportStatus
    callback_data: str | None


@dataclass(frozen=True)
class DeliveryReport:
    bulk_id: str
    details: tuple[ReportDetail, ...]


def parse_delivery_report(body: bytes, content_type: str = "application/json") -> DeliveryReport:
    """A delivery report POSTed by ANTS, in JSON or XML (by ``content_type``), as typed data."""
    data = parse_xml(body) if "xml" in content_type.lower() else json.loads(body.decode("utf-8"), parse_float=Decimal)
    details = data.get("details") or []
    if isinstance(details, Mapping):
        details = [details]
    return DeliveryReport(
        bulk_id=data["bulkId"],
        details=tuple(
            ReportDetail(
                message_id=str(d["messageId"]),
                to=str(d["to"]),
                sender=d["from"],
                text=d["text"],
                credit=Decimal(str(d["credit"])).quantize(Decimal("0.01")),
                send_date=d["sendDate"],
                done_date=d.get("doneDate"),
                status=ReportStatus(str(d["status"]["code"]), d["status"]["name"], d["status"]["description"]),
                callback_data=d.get("callbackData"),
            )
            for d in details
        ),
    )


# -- the client -------------------------------------------------------------------------------------
class AntsClient(HttpClient):
    def __init__(
        self,
        base_url: str = "https://api-service.ants.co.th",
        username: str = "",
        password: str = "",
        *,
        xml: bool = False,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        super().__init__(base_url, session)
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self.authorization = f"Basic {token}"
        self.xml = xml

    async def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, str] | None = None,
        root: str = "REQUEST",
    ) -> Any:
        """One request; the parsed answer, or :class:`AntsError`."""
        kind = "application/xml" if self.xml else "application/json"
        headers = {"Accept": kind, "Authorization": self.authorization}
        data = None
        if body is not None:
            headers["Content-Type"] = f"{kind}; charset=utf-8"
            data = xml_document(root, body) if self.xml else json.dumps(body, ensure_ascii=False).encode("utf-8")
        async with self.session.request(
            method, self.base_url + path, data=data, params=params, headers=headers
        ) as resp:
            raw = await resp.read()
            is_xml = "xml" in resp.headers.get("Content-Type", "")
            parsed = (parse_xml(raw) if is_xml else json.loads(raw, parse_float=Decimal)) if raw else None
            if resp.status >= 300:
                error = parsed.get("error", {}) if isinstance(parsed, dict) else {}
                raise AntsError(resp.status, error)
            return parsed

    # -- SMS ---------------------------------------------------------------------------------------
    async def send(self, messages: list[Mapping[str, Any]], bulk_id: str | None = None) -> dict[str, Any]:
        """``POST /sms/send`` with ``messages`` as the vendor defines them."""
        body: dict[str, Any] = {"bulkId": bulk_id} if bulk_id else {}
        body["messages"] = list(messages)
        return await self.call("POST", "/sms/send", body, root="SMS")

    async def send_sms(
        self,
        sender: str,
        to: Iterable[str] | str,
        text: str,
        *,
        message_ids: Iterable[str] | None = None,
        notify_url: str | None = None,
        notify_content_type: str | None = None,
        callback_data: str | None = None,
        shorturl: str | None = None,
        bulk_id: str | None = None,
    ) -> dict[str, Any]:
        """One text to one or more numbers."""
        numbers = [to] if isinstance(to, str) else list(to)
        ids = list(message_ids) if message_ids is not None else [None] * len(numbers)
        message: dict[str, Any] = {
            "from": sender,
            "destinations": [{"to": n, **({"messageId": i} if i else {})} for n, i in zip(numbers, ids, strict=True)],
            "text": text,
        }
        for key, value in (
            ("shorturl", shorturl),
            ("notifyUrl", notify_url),
            ("notifyContentType", notify_content_type),
            ("callbackData", callback_data),
        ):
            if value is not None:
                message[key] = value
        return await self.send([message], bulk_id)

    async def loginfo(
        self,
        *,
        bulk_id: str | None = None,
        message_id: str | None = None,
        mobile: str | None = None,
        send_date_start: str | None = None,
        send_date_end: str | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /sms/loginfo``: the messages of the last 48 hours matching the filters."""
        params = {
            k: v
            for k, v in (
                ("bulkId", bulk_id),
                ("messageId", message_id),
                ("mobile", mobile),
                ("sendDateStart", send_date_start),
                ("sendDateEnd", send_date_end),
            )
            if v
        }
        return await self.call("GET", "/sms/loginfo", params=params)

    async def preview(self, message: str) -> dict[str, Any]:
        return await self.call("POST", "/sms/preview", {"message": message}, root="PREVIEW")

    async def balance(self) -> dict[str, Any]:
        return await self.call("POST", "/account/balance", {}, root="BALANCE")

    async def sender_list(self) -> list[str]:
        found = await self.call("GET", "/sms/senderList")
        return list(found["senders"])

    # -- OTP ---------------------------------------------------------------------------------------
    async def request_otp(
        self,
        otc_id: str,
        mobile: str,
        *,
        notify_url: str | None = None,
        notify_content_type: str | None = None,
        callback_data: str | None = None,
    ) -> dict[str, Any]:
        body = {"otcId": otc_id, "mobile": mobile}
        for key, value in (
            ("notifyUrl", notify_url),
            ("notifyContentType", notify_content_type),
            ("callbackData", callback_data),
        ):
            if value is not None:
                body[key] = value
        return await self.call("POST", "/otp/requestOTP", body, root="OTP")

    async def resend_otp(self, otp_id: str) -> dict[str, Any]:
        return await self.call("POST", "/otp/resendOTP", {"otpId": otp_id}, root="OTP")

    async def verify_otp(self, otp_id: str, otp_code: str) -> dict[str, Any]:
        """``{"otpId", "result", "isErrorCount", "isExprCode"}`` (booleans; XML gives "true"/"false")."""
        answer = await self.call("POST", "/otp/verifyOTP", {"otpId": otp_id, "otpCode": otp_code}, root="OTP")
        if self.xml:
            for key in ("result", "isErrorCount", "isExprCode"):
                answer[key] = answer.get(key) == "true"
        return answer
