"""ANTS HTTP: Basic auth, JSON or XML bodies per Content-Type, JSON or XML answers per Accept.

Every handler authenticates first (401, 403 blocked, 429 over the account's rate), then reads
the body in the format its Content-Type names, asks the scenario engine, and answers through
:func:`respond`, which renders the same data as compact JSON or as the seed's XML style.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from aiohttp import web

from mockserver.core.errors import ErrorRow, VendorError
from mockserver.core.store import RequestRecord
from mockserver.core.textparts import count_parts
from mockserver.http.vendor import Call, VendorHandlers
from mockserver.vendors.ants import xmlbody
from mockserver.vendors.ants.errors import error_object
from mockserver.vendors.ants.models import VENDOR, AntsModel, Destination, SmsRequest, credit

XML_TYPES = frozenset({"application/xml", "text/xml"})
JSON_TYPES = frozenset({"application/json", "text/json"})

# -- rendering --------------------------------------------------------------------------------------
_DECIMAL = "\u0001ants-decimal:"
_DECIMAL_ENCODED = "\\u0001ants-decimal:"  # the marker as JSON writes it (\u0001 escaped)
_DECIMAL_RE = re.compile(r'"\\u0001ants-decimal:(-?\d+\.\d\d)"')


def _decimal_marker(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{_DECIMAL}{value:.2f}"
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# Built once: json.dumps with these options would build a new encoder for every answer.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_decimal_marker).encode


def to_json(data: Any) -> bytes:
    """Compact UTF-8 JSON in which credits (Decimal) are numbers with two decimals: ``1.00``."""
    text = _encode(data)
    if _DECIMAL_ENCODED in text:  # an answer without credits needs no substitution
        text = _DECIMAL_RE.sub(r"\1", text)
    return text.encode("utf-8")


@lru_cache(maxsize=256)
def _media_ranges(header: str) -> tuple[tuple[str, float], ...]:
    """Parsed once per distinct Accept header (clients send one or two, on every request)."""
    out = []
    for part in header.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media:
            out.append((media.lower(), q))
    return tuple(sorted(out, key=lambda item: -item[1]))  # stable: ties keep the client's order


def wants_xml(request: web.BaseRequest) -> bool:
    """XML when Accept prefers an XML type to JSON; with no preference, the request's own format."""
    for media, q in _media_ranges(request.headers.get("Accept", "")):
        if q <= 0:
            continue
        if media in XML_TYPES or media.endswith("+xml"):
            return True
        if media in JSON_TYPES or media.endswith("+json"):
            return False
    return request.content_type in XML_TYPES


def respond(
    request: web.BaseRequest,
    root: str,
    data: Any,
    *,
    status: int = 200,
    item: str = "item",
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    if wants_xml(request):
        body, content_type = xmlbody.render(root, data, item=item), "application/xml"
    else:
        body, content_type = to_json(data), "application/json"
    return web.Response(body=body, status=status, content_type=content_type, charset="utf-8", headers=headers)


def render_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    """``{"error": {"code", "name", "description"}}`` (``<ERROR><error>...`` in XML)."""
    request = call.request if call is not None else ctx.get("request")
    headers = {}
    if row.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="ANTS API"'
    elif row.status == 429:
        headers["Retry-After"] = "1"
    data = {"error": error_object(row, detail)}
    if request is None:
        return web.Response(body=to_json(data), status=row.status, content_type="application/json", headers=headers)
    return respond(request, "ERROR", data, status=row.status, headers=headers)


# -- reading ---------------------------------------------------------------------------------------
async def read_body(call: Call, *, optional: bool = False) -> dict[str, Any]:
    """The body as data, parsed as its Content-Type says: JSON, or XML with defusedxml.

    A missing or other Content-Type is the vendor's general error; an ``optional`` body (account
    balance) may be empty with no Content-Type at all.
    """
    raw = await call.raw()
    if optional and not raw.strip():
        return {}
    media = call.media_type() if call.has_content_type() else ""
    if media in JSON_TYPES or media.endswith("+json"):
        return await call.json(require_content_type=False)
    if media in XML_TYPES or media.endswith("+xml"):
        try:
            data = xmlbody.parse(raw)
        except xmlbody.XmlError:
            raise VendorError("MALFORMED_XML") from None
        if not isinstance(data, dict):
            raise VendorError("INVALID_REQUEST_BODY")
        return data
    raise VendorError("UNSUPPORTED_CONTENT_TYPE")


def _user(call: Call, model: AntsModel):
    return model.authenticate(call.request.headers.get("Authorization"))


# -- handlers --------------------------------------------------------------------------------------
class Handlers(VendorHandlers):
    """The operations; the model is looked up per call because ``POST /_mock/reset`` rebuilds it."""

    model: AntsModel  # looked up per call by the base class: a reset rebuilds it

    async def send(self, call: Call) -> web.Response:
        model = self.model
        account = _user(call, model)
        body = await read_body(call)
        _, bulk_id, accepted = await accept_send(call, model, account, model.validate_send(body), "send_sms")
        details = [
            {"messageId": message_id, "to": dest.number or dest.to, "credit": cost, "status": status.to_dict()}
            for dest, (message_id, cost, status, _) in accepted
        ]
        return respond(call.request, "SEND", {"bulkId": bulk_id, "details": details})

    async def loginfo(self, call: Call) -> web.Response:
        model = self.model
        account = _user(call, model)
        await call.consult(account=account.username, recipients=[call.request.query.get("mobile", "")])
        bulks: dict[str, list[dict[str, Any]]] = {}
        for message in model.logs(account, call.request.query):
            bulks.setdefault(message.fields["bulkId"], []).append(model.detail(message))
        data = [{"bulkId": bulk_id, "details": details} for bulk_id, details in bulks.items()]
        return respond(call.request, "LOGINFO", data, item="bulk")

    async def preview(self, call: Call) -> web.Response:
        account = _user(call, self.model)
        body = await read_body(call)
        await call.consult(account=account.username)
        message = body.get("message")
        if not isinstance(message, str) or not message:
            raise VendorError("PREVIEW_MESSAGE_REQUIRED")
        info = count_parts(message)
        return respond(
            call.request,
            "PREVIEW",
            {"originalMessage": message, "credit": f"{credit(info.parts):.2f}", "character": info.unused},
        )

    async def balance(self, call: Call) -> web.Response:
        account = _user(call, self.model)
        await read_body(call, optional=True)
        await call.consult(account=account.username)
        return respond(call.request, "BALANCE", {"type": account.type, "credit": account.credit})

    async def sender_list(self, call: Call) -> web.Response:
        account = _user(call, self.model)
        await call.consult(account=account.username)
        return respond(call.request, "SENDERLIST", {"senders": list(account.senders)})

    # -- OTP ---------------------------------------------------------------------------------------
    async def request_otp(self, call: Call) -> web.Response:
        model = self.model
        account = _user(call, model)
        body = await read_body(call)
        config = model.otp_config(account, body.get("otcId"))
        phone = model.mobile(body.get("mobile"))
        notify = model.notify_fields(body)
        await call.consult(account=account.username, recipients=[phone], sender=config.sender)
        state = model.issue_otp(account, config, phone)
        state.notify = notify
        return self._send_otp(call, account, state, await call.record())

    async def resend_otp(self, call: Call) -> web.Response:
        model = self.model
        account = _user(call, model)
        body = await read_body(call)
        old = model.find_otp(account, body.get("otpId"))
        await call.consult(account=account.username, recipients=[old.record.phone], sender=old.config.sender)
        if old.record.verified:
            raise VendorError("OTP_ALREADY_VERIFIED")
        state = model.issue_otp(account, old.config, old.record.phone, otp_id=old.otp_id)
        state.notify = old.notify
        return self._send_otp(call, account, state, await call.record())

    def _send_otp(self, call: Call, account: Any, state: Any, record: RequestRecord) -> web.Response:
        model = self.model
        phone = state.record.phone
        notify_url, content_type, callback_data = state.notify
        sms = SmsRequest(
            state.config.sender,
            [Destination(phone, None, phone)],
            model.otp_text(state),
            None,
            notify_url,
            content_type,
            callback_data,
        )
        _, _, _status, message = model.accept(
            account,
            sms,
            sms.destinations[0],
            bulk_id=model.new_bulk_id(),
            operation="otp_request",
            request=record,
            fields={"otcId": state.config.otc_id, "otpId": state.otp_id},
        )
        if message is None:
            raise VendorError("INSUFFICIENT_CREDIT")  # the config guarantees the sender; only credit can refuse
        model.register_otp(state, message.id)
        return respond(
            call.request,
            "OTP",
            {
                "otcId": state.config.otc_id,
                "otpId": state.otp_id,
                "referenceCode": state.record.ref,
                "success": {"message": "Success", "description": "OTP has been sent"},
            },
        )

    async def verify_otp(self, call: Call) -> web.Response:
        model = self.model
        account = _user(call, model)
        body = await read_body(call)
        state = model.find_otp(account, body.get("otpId"))
        await call.consult(account=account.username, recipients=[state.record.phone])
        outcome = model.verify_otp(state, body.get("otpCode"))
        return respond(call.request, "OTP", {"otpId": state.otp_id, **outcome})


__all__ = ["VENDOR", "Handlers", "render_error", "respond", "to_json"]


async def accept_send(call: Call, model: Any, account: Any, validated: tuple[Any, list[Any]], operation: str):
    """The send step every ANTS send path shares (``/sms/send`` and the old platform's three):
    consult the scenario gate with the request's facts, then accept each destination of each
    message under one bulk id. Returns (the client's bulkId, the bulk id used, [(destination,
    what ``model.accept`` returned)])."""
    client_bulk_id, messages = validated
    await call.consult(
        account=account.username,
        recipients=[d.number or d.to for m in messages for d in m.destinations],
        text=messages[0].text,
        sender=messages[0].sender,
    )
    bulk_id = client_bulk_id or model.new_bulk_id()
    record = await call.record()
    accepted = [
        (dest, model.accept(account, sms, dest, bulk_id=bulk_id, operation=operation, request=record))
        for sms in messages
        for dest in sms.destinations
    ]
    return client_bulk_id, bulk_id, accepted
