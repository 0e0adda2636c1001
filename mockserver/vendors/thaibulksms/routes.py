"""ThaiBulkSMS HTTP: authenticate, parse form/JSON/multipart bodies, call the model, render answers.

The SMS API answers errors as ``{"error": {"code", "name", "description"}}`` with the row's HTTP
status; the OTP API as ``{"code": <status>, "errors": [{"message", "detail"}]}`` (v2) or the same
wrapped in ``{"error": ...}`` (v1).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.errors import ErrorRow, VendorError
from mockserver.http.vendor import FORM_TYPE, Call, VendorHandlers, json_response
from mockserver.vendors.thaibulksms.errors import OTP_INVALID_PARAMETER
from mockserver.vendors.thaibulksms.models import Account, ThaiBulkSMSModel, normalize_msisdn, split_msisdn

SMS_PREFIX = "/thaibulksms"
OTP_PREFIX = "/thaibulksms-otp"
SHORT_LINK_PATH = "/s"


# -- error shapes ---------------------------------------------------------------------------------
def sms_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    return json_response({"error": {"code": row.code, "name": row.name, "description": detail}}, row.status)


def _otp_errors(row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"message": detail, "detail": ctx.get("reason")}]


def otp_v2_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    return json_response({"code": row.status, "errors": _otp_errors(row, detail, ctx)}, row.status)


def otp_v1_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    return json_response({"error": {"code": row.status, "errors": _otp_errors(row, detail, ctx)}}, row.status)


# -- request helpers ------------------------------------------------------------------------------
async def read_fields(call: Call) -> dict[str, Any]:
    """The body as a dict, whichever way the client encoded it.

    ``application/x-www-form-urlencoded``, ``multipart/form-data`` (curl ``--form``) and JSON are
    accepted; with no Content-Type a body starting with ``{`` is JSON, anything else a form. Any
    other media type, or a body that does not parse, is ``ERROR_FORM``.
    """
    if not call.has_content_type():
        raw = await call.raw()
        if raw.lstrip()[:1] == b"{":
            return await call.json(require_content_type=False)
        return await call.form()
    media = call.media_type()
    if call.is_json():
        return await call.json()
    if media == FORM_TYPE:
        return await call.form()
    if media == "multipart/form-data":
        return _multipart(call.request.headers["Content-Type"], await call.raw())
    raise VendorError(call.vendor.generic_errors[E.MEDIA_TYPE])


def _multipart(content_type: str, raw: bytes) -> dict[str, str]:
    try:
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
        )
        if not message.is_multipart():
            raise ValueError("not multipart")
        fields: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not name or not isinstance(payload, bytes):
                raise ValueError("part without a name")
            fields[str(name)] = payload.decode("utf-8")
        return fields
    except (ValueError, UnicodeError, LookupError):
        raise VendorError("ERROR_FORM") from None


def client_ip(request: web.Request) -> str | None:
    """The caller's address: the first ``X-Forwarded-For`` hop when present (the mock behind a
    proxy or in a container), else the socket's peer."""
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.remote


def basic_credentials(request: web.Request) -> tuple[str | None, str | None]:
    """(API key, API secret) of an ``Authorization: Basic`` header; (None, None) if unusable."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep else (None, None)


def short_link_base(call: Call) -> str:
    """Where the short links of this request point: the mock itself, as the client reached it."""
    req = call.request
    prefix = SMS_PREFIX if req.path.startswith(SMS_PREFIX + "/") else ""
    return f"{req.scheme}://{req.host}{prefix}{SHORT_LINK_PATH}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# -- handlers -------------------------------------------------------------------------------------
class Handlers(VendorHandlers):
    """The operations; the model is looked up per call because ``POST /_mock/reset`` rebuilds it."""

    model: ThaiBulkSMSModel  # looked up per call by the base class: a reset rebuilds it

    def _account(self, call: Call) -> Account:
        account = self.model.authenticate(*basic_credentials(call.request))
        call.account = account.api_key
        self.model.check_access(account, client_ip(call.request))
        return account

    async def send_sms(self, call: Call) -> web.Response:
        account = self._account(call)
        fields = await read_fields(call)
        raw_msisdn = _text(fields.get("msisdn")) or ""
        await call.consult(
            account=account.api_key,
            recipients=split_msisdn(raw_msisdn)[0],
            text=_text(fields.get("message")),
            sender=_text(fields.get("sender")),
        )
        model = self.model
        req = model.validate_send(account, fields, short_link_base(call))
        messages = model.accept(account, req, await call.record())
        bad_text = call.vendor.errors["ERROR_MSISDN"].message
        return json_response(
            {
                "remaining_credit": account.credit[req.force],
                "total_use_credit": req.parts * len(messages),
                "credit_type": req.force,
                "phone_number_list": [
                    {"number": m.recipient, "message_id": m.id, "used_credit": req.parts} for m in messages
                ],
                "bad_phone_number_list": [{"message": bad_text, "number": n} for n in req.bad_numbers],
            }
        )

    async def credit(self, call: Call) -> web.Response:
        account = self._account(call)
        await call.consult(account=account.api_key)
        force = call.request.query.get("force")
        if force in (None, ""):
            return json_response({"remaining_credit": dict(account.credit)})
        kind = self.model.force(force)
        return json_response({"remaining_credit": {kind: account.credit[kind]}})

    async def short_link(self, call: Call) -> web.Response:
        await call.consult()  # a public link: no caller to authenticate, but scenarios still apply
        url = self.model.short_links.get(call.params["code"])
        if url is None:
            raise VendorError("ERROR_NOT_FOUND")
        return web.Response(status=302, headers={"Location": url})

    async def _otp_fields(self, call: Call) -> dict[str, Any]:
        try:
            return await read_fields(call)
        except VendorError as exc:
            if call.vendor.errors[exc.name].status != 400:
                raise
            raise VendorError(
                OTP_INVALID_PARAMETER, reason="The request body is not valid form data or JSON."
            ) from None

    async def otp_request(self, call: Call) -> web.Response:
        fields = await self._otp_fields(call)
        model = self.model
        app = model.otp_app(fields)
        msisdn = _text(fields.get("msisdn")) or ""
        await call.consult(account=app.key, recipients=[normalize_msisdn(msisdn) or msisdn])
        number = model.otp_msisdn(fields)
        record = model.otp_request(app, number, await call.record())
        return json_response({"status": "success", "token": record.fields["token"], "refno": record.ref})

    async def otp_verify(self, call: Call) -> web.Response:
        fields = await self._otp_fields(call)
        model = self.model
        app = model.otp_app(fields)
        issued = model.otp_tokens.get(_text(fields.get("token")) or "")
        await call.consult(account=app.key, recipients=[issued.phone] if issued is not None else [])
        model.otp_verify(app, fields)
        return json_response({"status": "success", "message": "Code is correct."})
