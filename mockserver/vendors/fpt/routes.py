"""FPT SMS Brandname HTTP: parse each body, authorise the token, call the model, render the seed.

Successes are HTTP 200 with the seed's keys; every error is ``{"error": <int>,
"error_description": "<text>"}`` with the row's HTTP status (401 answers carry a
``WWW-Authenticate: Bearer`` header, as RFC 6750 asks of an OAuth2 resource server).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mockserver.core.errors import ErrorRow, VendorError
from mockserver.http.vendor import FORM_TYPE, Call, VendorHandlers, json_response
from mockserver.vendors.fpt.models import (
    SCOPE_ADS,
    SCOPE_OTP,
    FptModel,
    Token,
    decode_message,
    normalize_international,
    normalize_vn,
)

REALM = 'Bearer realm="FPT SMS Brandname"'


def render_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    headers = {"WWW-Authenticate": REALM} if row.status == 401 else None
    return json_response({"error": row.code, "error_description": detail}, row.status, headers)


def _decoded_or_none(value: Any) -> str | None:
    """The decoded text for the scenario gate; a bad Message is the model's error to give."""
    try:
        return decode_message(value)
    except VendorError:
        return None


def bearer(call: Call) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    scheme, _, value = call.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class Handlers(VendorHandlers):
    """The operations; the model is looked up per call because ``POST /_mock/reset`` rebuilds it."""

    model: FptModel  # looked up per call by the base class: a reset rebuilds it

    async def _authorized(self, call: Call, scope: str) -> tuple[dict[str, Any], Token]:
        """The JSON body and the token of an API call. ``access_token`` in the body wins over an
        ``Authorization: Bearer`` header (the seed puts it in the body; some clients use the header)."""
        body = await call.json()
        value = body.get("access_token")
        if value is None or value == "":
            value = bearer(call)
        token = self.model.authorize(value, body.get("session_id"), scope)
        return body, token

    async def token(self, call: Call) -> web.Response:
        body = await self._token_body(call)
        model = self.model
        account = model.client(body)
        await call.consult(account=account.client_id)
        token = model.issue_token(account, body)
        return json_response(
            {
                "access_token": token.value,
                "expires_in": account.expires_in,
                "token_type": "Bearer",
                "scope": token.scope,
            }
        )

    @staticmethod
    async def _token_body(call: Call) -> dict[str, Any]:
        """JSON as the seed says; a form body too, as standard OAuth2 client libraries send."""
        if call.has_content_type() and call.media_type() == FORM_TYPE:
            return dict(await call.form())
        return await call.json()

    async def _send_single(self, call: Call, operation: str, international: bool) -> web.Response:
        body, token = await self._authorized(call, SCOPE_OTP)
        phone = body.get("Phone")
        if international:
            recipient = normalize_international(phone)
        else:
            found = normalize_vn(phone)
            recipient = found[0] if found else None
        await call.consult(
            account=token.account.client_id,
            recipients=[recipient or str(phone)],
            text=_decoded_or_none(body.get("Message")),
            sender=_text_or_none(body.get("BrandName")),
        )
        _, answer = self.model.send_single(
            token, body, operation=operation, international=international, request=await call.record()
        )
        return json_response(answer)

    async def send_sms(self, call: Call) -> web.Response:
        return await self._send_single(call, "send_sms", international=False)

    async def send_international(self, call: Call) -> web.Response:
        return await self._send_single(call, "send_international", international=True)

    async def create_campaign(self, call: Call) -> web.Response:
        body, token = await self._authorized(call, SCOPE_ADS)
        await call.consult(
            account=token.account.client_id,
            text=_text_or_none(body.get("Message")),
            sender=_text_or_none(body.get("BrandName")),
        )
        campaign = self.model.create_campaign(token, body)
        return json_response({"CampaignCode": campaign.code})

    async def send_ads(self, call: Call) -> web.Response:
        body, token = await self._authorized(call, SCOPE_ADS)
        model = self.model
        phones = body.get("PhoneList")
        recipients = [p for p in (normalize_vn(i) for i in phones.split(",")) if p] if isinstance(phones, str) else []
        code = body.get("CampaignCode")
        campaign = model.campaigns.get(code) if isinstance(code, str) else None
        await call.consult(
            account=token.account.client_id,
            recipients=[phone for phone, _ in recipients],
            text=campaign.message if campaign else None,
            sender=campaign.brandname if campaign else None,
        )
        campaign, batch = model.push_ads(token, body, await call.record())
        return json_response(
            {"BatchId": batch.id, "NumMessageSent": len(batch.messages), "NumRemainQuota": campaign.remaining}
        )

    async def cancel_ads(self, call: Call) -> web.Response:
        body, token = await self._authorized(call, SCOPE_ADS)
        await call.consult(account=token.account.client_id)
        success, fail = self.model.cancel_ads(token, body)
        return json_response({"success": success, "fail": fail})
