"""ANTS's old platform: ``/sms/1/text/single``, ``/sms/1/text/multi``, ``/sms/1/text/advanced``.

Source: the vendor's migration page (``apidoc.ants.co.th/thai-v1.0.0/transform-sms-api-platform``,
"การย้าย API ระบบเก่า มา ระบบใหม่"). What its public copy states: the old system lives on
``http://api.ants.co.th`` / ``https://api2.ants.co.th`` (the new one on ``api-service.ants.co.th``),
both use the same HTTP Basic authentication, and the old system splits sending into three URLs:
``single`` (one text to one or more numbers), ``multi`` (several texts and numbers at once) and
``advanced`` (``multi`` plus notify callback, shortening, scheduling and a client bulkId). The
public copy's request/answer examples were not retrievable beyond that, so the fields are those
of the v1 "textual message" API these three paths belong to (the platform the new API's
``bulkId``/``messages``/``destinations``/``notifyUrl`` fields come from), mapped onto ANTS's own
rules and status table. Decisions:

* Requests (JSON or XML as on ``/sms/send``):
  ``single`` ``{"from", "to": "<number>" | ["<number>", ...], "text"}``;
  ``multi`` ``{"messages": [{"from", "to": <as single>, "text"}, ...]}``;
  ``advanced`` ``{"bulkId"?, "messages": [{"from", "destinations": [{"to", "messageId"?}] (or one
  string), "text", "notifyUrl"?, "notifyContentType"?, "callbackData"?, "shorturl"?}]}`` (the new
  ``/sms/send`` body). Other v1 fields (``sendAt``, ``flash``...) are ignored: messages go at once.
* Every field rule, refusal, credit, journal entry, lifecycle and delivery report is
  ``/sms/send``'s (the same model code): a rule broken is the same 400 ``{"error": {...}}``.
* Answer: ``{"bulkId", "messages": [{"to", "status": {"groupId", "groupName", "id", "name",
  "description"}, "smsCount", "messageId"}]}``; ``groupId``/``groupName`` are ANTS's status
  group (1 PENDING, 5 REJECTED), ``id``/``name``/``description`` the detailed status ``/sms/send``
  answers (``101``... as a number); ``smsCount`` the parts charged (0 when refused). ``bulkId``
  is answered when the request has more than one destination or gives one (as v1 does), else
  omitted. XML answers use the root ``SEND`` like ``/sms/send``.
* Operations ``send_single``, ``send_multi``, ``send_advanced``; the old hosts serve the new paths
  too (one mount, three hosts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mockserver.core.errors import VendorError
from mockserver.http.vendor import Call, VendorHandlers
from mockserver.vendors.ants.errors import GROUP_BY_NAME
from mockserver.vendors.ants.models import AntsModel
from mockserver.vendors.ants.routes import accept_send, read_body, respond

OLD_HOSTS = ("api2.ants.co.th", "api.ants.co.th")
SINGLE, MULTI, ADVANCED = "/sms/1/text/single", "/sms/1/text/multi", "/sms/1/text/advanced"


def _message(m: Mapping[str, Any]) -> dict[str, Any]:
    """A ``single``/``multi`` item as a ``/sms/send`` message: ``to`` becomes ``destinations``."""
    if not isinstance(m, Mapping):
        raise VendorError("MESSAGES_REQUIRED")
    return {"from": m.get("from"), "destinations": m.get("to"), "text": m.get("text")}


def as_new_body(path: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``/sms/send`` body of an old-platform request."""
    if path == SINGLE:
        return {"messages": [_message(body)]}
    if path == MULTI:
        messages = body.get("messages")
        if isinstance(messages, Mapping):  # XML with a single <message>
            messages = [messages]
        if not isinstance(messages, list) or not messages:
            raise VendorError("MESSAGES_REQUIRED")
        return {"messages": [_message(m) for m in messages]}
    return dict(body)


def old_status(status: Any) -> dict[str, Any]:
    """An ANTS status in the v1 answer's field names."""
    code = int(status.code) if status.code.isdigit() else status.code
    return {
        "groupId": GROUP_BY_NAME[status.name],
        "groupName": status.name,
        "id": code,
        "name": status.name,
        "description": status.description,
    }


class OldPlatformHandlers(VendorHandlers):
    """The three old send URLs, answered from ``/sms/send``'s model."""

    model: AntsModel  # looked up per call by the base class: a reset rebuilds it

    async def _send(self, call: Call, path: str, operation: str) -> web.Response:
        model = self.model
        account = model.authenticate(call.request.headers.get("Authorization"))
        body = await read_body(call)
        client_bulk_id, bulk_id, accepted = await accept_send(
            call, model, account, model.validate_send(as_new_body(path, body)), operation
        )
        out = [
            {
                "to": dest.number or dest.to,
                "status": old_status(status),
                "smsCount": message.parts if message is not None else 0,
                "messageId": message_id,
            }
            for dest, (message_id, _, status, message) in accepted
        ]
        answer: dict[str, Any] = {"messages": out}
        if client_bulk_id or len(out) > 1:
            answer = {"bulkId": bulk_id, **answer}
        return respond(call.request, "SEND", answer)

    async def single(self, call: Call) -> web.Response:
        return await self._send(call, SINGLE, "send_single")

    async def multi(self, call: Call) -> web.Response:
        return await self._send(call, MULTI, "send_multi")

    async def advanced(self, call: Call) -> web.Response:
        return await self._send(call, ADVANCED, "send_advanced")
