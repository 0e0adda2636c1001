"""SmartSMSBulk (Thailand): ``services.smartsmsbulk.com``, mounted at ``/smartsmsbulk``.

Source: the vendor's Postman collection (``seeds/smartsmsbulk-postman-collection.json``) and the
SmartSMSBulk section of the vendor notes. Operations (all ``POST`` JSON):

==================  ===============================  ==================================================
operation           path                             chksum = md5(str(...) + apiKey)
==================  ===============================  ==================================================
``send_sms``        ``/api/v2/SendSMS``              userId partnerId senderId phoneNo message
``send_bulk``       ``/api/v2/SendBulkSMS``          the same, per item (at most 100 items)
``query_dr``        ``/api/delivery/QueryDR``        userId partnerId refId
``otp_send``        ``/api/OptSendSms/OptSendSms``   otpId userId partnerId phoneNo
``otp_verify``      ``/api/OptSendSms/OptVerify``    (none, as in the seed)
``check_balance``   ``/api/credit/CheckBalance``     userId partnerId timestamp
==================  ===============================  ==================================================

Decisions where the seed is silent (the vendor notes' and ours):

* Every answer is HTTP 200 with ``status`` ``OK``/``ERR``, as every example shows, including bad
  bodies. Only an unknown path (404 ``{"status":"ERR","detail":"Not found"}``), a wrong method
  (405, ``Method not allowed``) and scenario-driven outages (500 ``Internal server error``, 503
  ``Service unavailable``) use another status.
* Checks run in this order and the first failure answers: body is a JSON object (``Invalid request
  body``; a non-JSON Content-Type is ``Content-Type must be application/json``, a missing one is
  tolerated); ``userId`` known (``Invalid parameter userId``); ``partnerId`` is that user's
  (``Invalid parameter partnerId``); ``chksum`` (``Invalid checksum``); then the operation's own
  fields: ``phoneNo`` (``Invalid format parameter phoneNo``), ``senderId`` one of the account's
  (``Invalid parameter senderId``), ``message`` a non-empty string of at most 10 SMS parts
  (``Invalid parameter message``), ``callbackUrl`` absent/null/empty or an http(s) URL
  (``Invalid parameter callbackUrl``); last the credit (``Insufficient credit balance``).
* ``phoneNo`` is a Thai mobile number, ``66`` or ``0`` followed by 9 digits starting 6, 8 or 9;
  it is journaled and reported as ``66XXXXXXXXX``.
* Credits are SMS parts: GSM-7 160/153, UCS-2 (any Thai character) 70/67.
* New refIds are ``yyMMddHHmmss-<uuid4>`` (Asia/Bangkok); QueryDR also accepts the 17-digit
  ``yyyyMMddHHmmssfff-<uuid4>`` form; any other shape is ``Invalid parameter refId``, a well-formed
  one that is not this user's message is ``Not found refId``.
* QueryDR: delivered ``OK``/``Successfully sent to phone`` (seed), failed ``ERR``/``Failed to send to
  phone``, in flight ``WAIT``/``Waiting for delivery report`` (notes), expired ``ERR``/``Message
  expired`` and rejected ``ERR``/``Message rejected`` (ours).
* SendBulkSMS: the body is a JSON array; every item is checked on its own and gets a refId even
  when invalid (as in the seed); top-level ``OK`` with ``detail`` ``""`` when at least one item is
  valid, else ``ERR``/``Not found data for send SMS.``; an empty array is that error too; more
  than 100 items is ``ERR``/``Maximum 100 phone numbers per request`` with nothing sent.
  ``smsReqBody`` echoes the item in the seed's key order with ids as ints and ``callbackUrl``
  null when absent.
* OTP: a ``system`` config generates a code of ``digits`` digits and a ``ref_length``-letter
  mixed-case refCode and ignores ``otpCode``/``refCode`` in the request (the seed's example sends
  placeholders); a ``company`` config requires them (``Invalid parameter otpCode`` /
  ``Invalid parameter refCode``). The OTP SMS costs its parts in credit. OptVerify looks the OTP up
  by (otpId, phoneNo, refCode): unknown or wrong code ``OTP CODE IS NOT VALID``, second success
  ``OTP is already Verify``, past validity ``OTP is expired``; an unknown otpId is
  ``Invalid parameter otpId``.
* CheckBalance: ``timestamp`` must be Unix seconds within 24 h of the server clock (notes).
* Delivery callback: POST of a JSON array ``[{refId, status, detail, phoneNo, message, sendTime}]``
  (``sendTime`` ``YYYY-MM-DD HH:MM:SS.ffffff``, Asia/Bangkok, the time of the final state) to the
  message's ``callbackUrl`` or else the account's configured ``callback_url``; only HTTP 200
  counts as received, anything else is retried. Reports for the same URL that become final
  within ``callbacks.batch_window`` (50 ms) share one callback array of at most 100 reports
  (the seed's array shape allows it; 100 mirrors the SendBulkSMS limit); callbacks are not
  ordered per destination (the array carries its own ``sendTime``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.errors import ErrorRow
from mockserver.core.store import Message
from mockserver.http.vendor import Call, LoadSend, Mount, Operation, SampleRequest, Vendor, compact_json
from mockserver.vendors.smartsmsbulk import reports, routes
from mockserver.vendors.smartsmsbulk.checksums import checksum
from mockserver.vendors.smartsmsbulk.errors import ERRORS
from mockserver.vendors.smartsmsbulk.models import SmartSMSBulkModel


class SmartSMSBulk(Vendor):
    name = "smartsmsbulk"
    title = "SmartSMSBulk"
    country = "TH"
    errors = ERRORS
    package_dir = Path(__file__).parent
    account_fields: ClassVar[Mapping[str, str]] = {
        "accounts": "userId"
    }  # strict: true on these entries (mockserver.contracts.strict)
    generic_errors: ClassVar[Mapping[str, str]] = {
        E.BAD_BODY: "INVALID_BODY",
        E.MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
        E.TOO_LARGE: "BODY_TOO_LARGE",
        E.NOT_FOUND: "NOT_FOUND",
        E.METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
        E.INTERNAL: "SYSTEM_ERROR",
    }

    model_class = SmartSMSBulkModel

    def build_mounts(self) -> Sequence[Mount]:
        h = routes.Handlers(self)
        return (
            Mount(
                prefix="/smartsmsbulk",
                hosts=("services.smartsmsbulk.com", "services-dev.smartsmsbulk.com"),
                operations=(
                    Operation("send_sms", "POST", "/api/v2/SendSMS", h.send_sms, routes.send_sms_error, sends=True),
                    Operation(
                        "send_bulk", "POST", "/api/v2/SendBulkSMS", h.send_bulk, routes.send_bulk_error, sends=True
                    ),
                    Operation("query_dr", "POST", "/api/delivery/QueryDR", h.query_dr, routes.query_dr_error),
                    Operation(
                        "otp_send", "POST", "/api/OptSendSms/OptSendSms", h.otp_send, routes.otp_send_error, sends=True
                    ),
                    Operation("otp_verify", "POST", "/api/OptSendSms/OptVerify", h.otp_verify, routes.plain_error),
                    Operation(
                        "check_balance", "POST", "/api/credit/CheckBalance", h.check_balance, routes.check_balance_error
                    ),
                ),
                render_error=routes.plain_error,
            ),
        )

    def render_error(
        self, call: Call | None, row: ErrorRow, detail: str, context: Mapping[str, Any]
    ) -> web.StreamResponse:
        return routes.plain_error(call, row, detail, context)

    def on_status(self, message: Message) -> None:
        reports.on_status(self, message)

    def sample_send(self, recipient: str, text: str = "Hello from sms-mockserver") -> SampleRequest:
        account = next(iter(self.model.accounts.values()))
        body = {
            "phoneNo": recipient,
            "userId": account.user_id,
            "partnerId": account.partner_id,
            "senderId": min(account.sender_ids),
            "message": text,
        }
        body["chksum"] = checksum("send_sms", body, account.api_key)
        return SampleRequest(
            "POST", "/smartsmsbulk/api/v2/SendSMS", {"Content-Type": "application/json"}, compact_json(body), "send_sms"
        )

    def sample_recipient(self, n: int) -> str:
        return f"66899900{n:03d}"

    def load_recipient(self, n: int) -> str:
        return f"6681{n % 10_000_000:07d}"  # 081xxxxxxx, not the magic 0899900nnn

    def load_sends(self) -> Sequence[LoadSend]:
        return (LoadSend("SmartSMSBulk SendSMS", lambda n: self.sample_send(self.load_recipient(n), f"load {n}")),)

    def credit_left(self) -> float | None:
        return next(iter(self.model.accounts.values())).credit

    @classmethod
    def without_limits(cls, given: Mapping[str, Any], credit: int) -> dict[str, Any]:
        section = copy.deepcopy(dict(given))
        for account in section.get("accounts", ()):
            account["creditBalance"] = credit
        return section

    def describe(self) -> dict[str, Any]:
        return {
            "accounts": [
                {"userId": a.user_id, "partnerId": a.partner_id, "apiKey": a.api_key, "senderIds": sorted(a.sender_ids)}
                for a in self.model.accounts.values()
            ],
            "otp_configs": [c.otp_id for c in self.model.otp_configs.values()],
        }


VENDOR = SmartSMSBulk
