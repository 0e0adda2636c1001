"""Voice OTP HTTP: parse each JSON body, call the model, answer as the gateway does.

postSMS and checkVoice answer a bare code in ``text/plain; charset=utf-8`` (``1,,,<request_id>``
when a call is accepted); checkBalance answers JSON ``{"errorcode":"1","balance":N}`` and
``{"errorcode":"0","balance":0}`` for any failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mockserver.core.errors import ErrorRow
from mockserver.http.vendor import Call, VendorHandlers, json_response, text_response
from mockserver.vendors.voiceotp.models import Account, VoiceOtpModel, phone_fact, voice_code, whole

ACCEPTED_SEPARATOR = ",,,"  # the seed's "code,,,request_id"


# -- answers ---------------------------------------------------------------------------------------
def code_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    """postSMS / checkVoice refusals, unknown paths, wrong methods: the code alone."""
    return text_response(str(row.code), row.status)


def balance_error(call: Call | None, row: ErrorRow, detail: str, ctx: Mapping[str, Any]) -> web.Response:
    """checkBalance knows only errorcode 0 for every failure (the seed)."""
    return json_response({"errorcode": "0", "balance": 0}, row.status)


# -- handlers --------------------------------------------------------------------------------------
class Handlers(VendorHandlers):
    """The operations; the model is looked up per call because ``POST /_mock/reset`` rebuilds it."""

    model: VoiceOtpModel  # looked up per call by the base class: a reset rebuilds it

    async def post_sms(self, call: Call) -> web.Response:
        body = await call.json()
        model = self.model
        account = model.authenticate(body)
        message = body.get("message")
        sender = body.get("sender")
        await call.consult(
            account=account.username,
            recipients=[phone_fact(body.get("phonesend"))],
            text=message if isinstance(message, str) else None,
            sender=sender if isinstance(sender, str) else None,
        )
        remote = call.request.remote
        model.check_ip(account, remote)
        model.check_state(account)
        phone, sender, code = model.validate(account, body)
        accepted = model.accept(account, phone, sender, code, await call.record(), remote)
        return text_response(f"1{ACCEPTED_SEPARATOR}{accepted.id}")

    async def _caller(self, call: Call) -> tuple[dict[str, Any], Account]:
        """The body and the account of a checkVoice / checkBalance call: credentials, scenario
        rules, then the IP allow-list (account flags do not block these two)."""
        body = await call.json()
        account = self.model.authenticate(body)
        await call.consult(account=account.username)
        self.model.check_ip(account, call.request.remote)
        return body, account

    async def check_voice(self, call: Call) -> web.Response:
        body, account = await self._caller(call)
        return text_response(str(voice_code(self.model.find_call(account, body.get("request_id")))))

    async def check_balance(self, call: Call) -> web.Response:
        _, account = await self._caller(call)
        return json_response({"errorcode": "1", "balance": whole(account.balance)})
