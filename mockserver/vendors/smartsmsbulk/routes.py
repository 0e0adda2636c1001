"""SmartSMSBulk HTTP: parse each operation's body, call the model, render the seed's shapes.

Every answer, success or error, is HTTP 200 JSON with the exact keys and key order of the seed's
examples; only unknown paths (404), wrong methods (405) and scenario-driven outages (5xx) use
another HTTP status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mockserver.core.errors import ErrorRow, VendorError
from mockserver.http.vendor import Call, VendorHandlers, json_response
from mockserver.vendors.smartsmsbulk.errors import DR_STATUS, DR_WAITING, ERRORS
from mockserver.vendors.smartsmsbulk.models import MAX_BULK, REF_ID, SmartSMSBulkModel, as_int, normalize_phone, whole


# -- error shapes, one per operation (the seed's "Fail" examples) --------------------------------
def _status(row: ErrorRow) -> int:
    return row.status


def send_sms_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    return json_response({"status": "ERR", "detail": detail, "refId": None}, _status(row))


def send_bulk_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    total = ctx.get("total", 0)
    return json_response(
        {"status": "ERR", "detail": detail, "totalSubmit": total, "totalValid": 0, "totalInvalid": total, "data": []},
        _status(row),
    )


def query_dr_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    return json_response({"refId": ctx.get("refId"), "drStatus": "ERR", "drDetail": detail}, _status(row))


def otp_send_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    return json_response({"status": "ERR", "detail": detail, "refCode": None, "prefix": None}, _status(row))


def plain_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    return json_response({"status": "ERR", "detail": detail}, _status(row))


def check_balance_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    return json_response({"status": "ERR", "detail": detail, "creditBalance": 0}, _status(row))


# -- handlers ----------------------------------------------------------------------------------
async def _consult(call: Call, account: str, bodies: list[dict[str, Any]]) -> None:
    """The scenario gate for SendSMS/SendBulkSMS: the recipients, text and sender of the bodies."""
    first = bodies[0] if bodies else {}
    message = first.get("message")
    await call.consult(
        account=account,
        recipients=[normalize_phone(b.get("phoneNo")) or str(b.get("phoneNo")) for b in bodies],
        text=message if isinstance(message, str) else None,
        sender=str(first.get("senderId")),
    )


class Handlers(VendorHandlers):
    """The operations; the model is looked up per call because ``POST /_mock/reset`` rebuilds it."""

    model: SmartSMSBulkModel  # looked up per call by the base class: a reset rebuilds it

    async def send_sms(self, call: Call) -> web.Response:
        body = await call.json()
        model = self.model
        account = model.authenticate("send_sms", body)
        await _consult(call, str(account.user_id), [body])
        ref_id = model.new_ref_id()
        model.send(account, body, operation="send_sms", ref_id=ref_id, request=await call.record())
        return json_response({"status": "OK", "detail": "SUCCESS", "refId": ref_id})

    async def send_bulk(self, call: Call) -> web.Response:
        items = await call.json(types=(list,))
        total = len(items)
        if total == 0:
            raise VendorError("BULK_NOTHING_VALID", total=0)
        if total > MAX_BULK:
            raise VendorError("BULK_TOO_MANY", total=total)
        model = self.model
        first = items[0] if isinstance(items[0], dict) else {}
        await _consult(call, str(first.get("userId")), [i for i in items if isinstance(i, dict)])
        record = await call.record()
        data = []
        valid = 0
        for item in items:
            ref_id = model.new_ref_id()
            try:
                if not isinstance(item, dict):
                    raise VendorError("INVALID_BODY")
                account = model.authenticate("send_bulk", item)
                model.send(account, item, operation="send_bulk", ref_id=ref_id, request=record)
            except VendorError as exc:
                detail = exc.detail or ERRORS[exc.name].message
                data.append({"status": "ERR", "detail": detail, "refId": ref_id, "smsReqBody": _echo(item)})
                continue
            valid += 1
            data.append({"status": "OK", "detail": None, "refId": ref_id, "smsReqBody": _echo(item)})
        if valid == 0:
            status, detail = "ERR", ERRORS["BULK_NOTHING_VALID"].message
        else:
            status, detail = "OK", ""
        return json_response(
            {
                "status": status,
                "detail": detail,
                "totalSubmit": total,
                "totalValid": valid,
                "totalInvalid": total - valid,
                "data": data,
            }
        )

    async def query_dr(self, call: Call) -> web.Response:
        body = await call.json()
        ref_id = body.get("refId")
        echo = ref_id if isinstance(ref_id, str) else None
        try:
            account = self.model.authenticate("query_dr", body)
            await call.consult(account=str(account.user_id))
            if not isinstance(ref_id, str) or not REF_ID.match(ref_id):
                raise VendorError("INVALID_REFID")
            message = self.model.find_message(account, ref_id)
            if message is None:
                raise VendorError("REFID_NOT_FOUND")
        except VendorError as exc:
            exc.context.setdefault("refId", echo)
            raise
        dr_status, dr_detail = DR_STATUS.get(message.status, DR_WAITING)
        return json_response({"refId": ref_id, "drStatus": dr_status, "drDetail": dr_detail})

    async def otp_send(self, call: Call) -> web.Response:
        body = await call.json()
        model = self.model
        account = model.authenticate("otp_send", body)
        await call.consult(
            account=str(account.user_id), recipients=[normalize_phone(body.get("phoneNo")) or str(body.get("phoneNo"))]
        )
        config = model.otp_config(body.get("otpId"), account.user_id)
        phone = normalize_phone(body.get("phoneNo"))
        if phone is None:
            raise VendorError("INVALID_PHONE")
        code, ref = model.new_otp(config, phone, body.get("otpCode"), body.get("refCode"))
        text = model.otp_text(config, code, ref)
        ref_id = model.new_ref_id()
        model.accept(
            account=account,
            operation="otp_send",
            ref_id=ref_id,
            phone=phone,
            sender_id=config.sender_id,
            text=text,
            callback_url=None,
            request=await call.record(),
            fields={"otpId": config.otp_id, "refCode": ref, "prefix": config.prefix},
        )
        model.remember_otp(config, phone, code, ref, ref_id)
        return json_response({"status": "OK", "detail": "SUCCESS", "refCode": ref, "prefix": config.prefix})

    async def otp_verify(self, call: Call) -> web.Response:
        body = await call.json()
        model = self.model
        config = model.otp_config(body.get("otpId"))
        phone = normalize_phone(body.get("phoneNo"))
        await call.consult(account=str(config.user_id), recipients=[phone or str(body.get("phoneNo"))])
        if phone is None:
            raise VendorError("INVALID_PHONE")
        model.verify_otp(config, phone, body.get("refCode"), body.get("otpCode"))
        return json_response({"status": "OK", "detail": "OTP is verify"})

    async def check_balance(self, call: Call) -> web.Response:
        body = await call.json()
        account = self.model.authenticate("check_balance", body)
        await call.consult(account=str(account.user_id))
        self.model.check_timestamp(body.get("timestamp"))
        return json_response({"status": "OK", "detail": None, "creditBalance": whole(account.credit)})


_ECHO_ORDER = ("phoneNo", "userId", "senderId", "chksum", "message", "partnerId", "callbackUrl")


def _echo(item: Any) -> Any:
    """``smsReqBody``: the item as the vendor's model serialises it (the seed's key order, ids as ints)."""
    if not isinstance(item, dict):
        return None
    out = {}
    for key in _ECHO_ORDER:
        value = item.get(key)
        if key in ("userId", "senderId", "partnerId"):
            number = as_int(value)
            value = number if number is not None else value
        out[key] = value
    return out
