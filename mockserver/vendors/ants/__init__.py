"""ANTS (Thailand): ``api-service.ants.co.th``, mounted at ``/ants``.

Sources: the vendor's delivery-report page (``seeds/ants-callback-delivery-report.txt``) and the
ANTS section of the vendor notes (the vendor's public English pages). Operations:

==================  ======  ==================  =====================================================
operation           method  path                answer
==================  ======  ==================  =====================================================
``send_sms``        POST    ``/sms/send``       ``{"bulkId", "details": [{messageId, to, credit, status}]}``
``loginfo``         GET     ``/sms/loginfo``    ``[{"bulkId", "details": [{... sendDate, doneDate, status}]}]``
``preview``         POST    ``/sms/preview``    ``{"originalMessage", "credit": "1.00", "character"}``
``balance``         POST    ``/account/balance`` ``{"type", "credit"}``
``sender_list``     GET     ``/sms/senderList`` ``{"senders": ["ANTS", "Verify"]}``
``otp_request``     POST    ``/otp/requestOTP`` ``{"otcId", "otpId", "referenceCode", "success"}``
``otp_resend``      POST    ``/otp/resendOTP``  the same
``otp_verify``      POST    ``/otp/verifyOTP``  ``{"otpId", "result", "isErrorCount", "isExprCode"}``
``send_single``     POST    ``/sms/1/text/single``   ``{"bulkId"?, "messages": [{to, status, smsCount, messageId}]}``
``send_multi``      POST    ``/sms/1/text/multi``    old platform, the same answer
``send_advanced``   POST    ``/sms/1/text/advanced`` old platform, the same answer
==================  ======  ==================  =====================================================

The old platform (hosts ``api2.ants.co.th`` and ``api.ants.co.th``, also under ``/ants``) is in
``oldplatform.py`` with its decisions; it shares accounts, credit, journal, lifecycle and delivery
reports with ``/sms/send``. Every path is served on all three hosts.

* **Flat send body** ``{"from", "destinations": [...], "text"}`` on ``/sms/send`` (without
  ``messages[]``): refused, 400 ``messages is required``. The vendor's pages (English and Thai
  "Send Message") define the body as ``bulkId`` + a ``messages`` array; what they relax is only
  ``destinations`` (a single string instead of an array). A flat body is the old platform's
  ``/sms/1/text/single`` shape (with ``to``), so a client posting it should use that URL; the mock
  refuses it on ``/sms/send`` so that the integration's bug shows before production.
* **E-coupon** (Get Campaign, Get Coupon, Create Coupon, E-Coupon Callback, E-Coupon Status Code) is
  listed in the Thai table of contents only; no public copy of those pages could be found (searched
  again for this issue: the vendor's site copies, public code). Nothing is built from guesses.

Decisions where the documents are silent (ours unless marked):

* **Order of checks**: HTTP Basic credentials (401 ``207 Authentication failed``, with
  ``WWW-Authenticate``), an account configured ``blocked`` (403 ``208 Service blocked``), the
  account's ``rate_limit`` (429, ``Retry-After: 1``; a sliding window of ``requests`` per ``seconds``
  on the shared clock; refused calls do not count), then the body, then the field rules.
* **Errors** are ``{"error": {"code", "name", "description"}}`` (the notes' ``{"error": {...}}`` filled
  with the vendor's own status-object shape). ``code`` is the documented detailed code where one
  fits (207 auth, 206 malformed XML, 204 system error, 208 blocked), else the general code ``"5"``
  with name ``REJECTED``; ``description`` says what is wrong. HTTP statuses: 400 field rules and
  bad bodies, 401, 403, 404, 405, 413 (> 1 MiB), 415 missing/other Content-Type, 429, 500, 503.
* **Formats**: a body is parsed as its ``Content-Type`` says: ``application/json`` (or
  ``text/json``, ``+json``) or ``application/xml`` / ``text/xml`` (parsed with defusedxml only;
  DTDs and entities are ``206 Malformed XML``). Any other or no Content-Type is 415, except an
  empty body on ``/account/balance`` and the GET operations, which need none. The answer is XML
  when ``Accept`` prefers an XML type over JSON (q-values honoured), JSON when it prefers JSON,
  and otherwise follows the request's Content-Type (XML in, XML out); default JSON.
* **XML element style** (the seed's ``<CALLBACK>``): an upper-case root per document
  (``SEND``, ``LOGINFO`` with ``<bulk>`` items, ``PREVIEW``, ``BALANCE``, ``SENDERLIST``, ``OTP``,
  ``ERROR``) with the .NET ``xsi``/``xsd`` namespace declarations, camelCase children in the JSON
  key order, lists as a container with singular items (``details/detail``, ``senders/sender``),
  ``null`` as ``xsi:nil="true"``, credits as ``1.00``. XML requests use the same style:
  ``<SMS><messages><message><from>..</from><destinations><destination><to>..</to>...``; any root
  name is accepted, and ``<destinations>66812345678</destinations>`` is the single-string form.
  API answers are UTF-8; delivery reports are exactly the seed's document, ``encoding="utf-16"``,
  so they are sent UTF-16 encoded (with BOM) and ``charset=utf-16`` to stay well-formed.
* **Send rules** (the public field table): ``from`` 1-11 characters without spaces, ``text``
  1-1600 characters, 1-500 ``destinations``, ``notifyUrl`` an http(s) URL of at most 150
  characters (and an allowed callback host), ``notifyContentType`` ``application/json`` or
  ``application/xml``, ``shorturl`` ``y``/``n``, ``bulkId`` at most 50 characters, ``callbackData``
  a string. Breaking one is a 400 for the whole request and nothing is sent. Destinations may be
  objects ``{"to", "messageId"?}``, one string, or (ours) a list of strings; numbers must be
  international (``66...``, 8-15 digits, a leading ``+`` is dropped, no leading ``0``).
* **Per-destination refusals** are ``REJECTED`` (general code ``"5"``) with the reason in the
  description, credit ``0.00``, no journal entry and no report: ``Invalid destination address``,
  ``Sender name is not allowed for this account`` (``from`` well-formed but not one of the
  account's senders), ``Insufficient credit`` (prepaid accounts), ``messageId must be at most 200
  characters``. Accepted destinations are ``PENDING`` ``101``.
* **Ids**: ``bulkId`` is the client's or a UUID4 (always answered, even for one destination);
  ``messageId`` the client's (kept as given, duplicates allowed) or 20 digits like the seed's.
  When a client reuses a messageId the journal keys the newer message ``<messageId>~2``...; the
  vendor-facing id is always ``fields.messageId``.
* **Credit**: one credit per SMS part (GSM-7 160/153, UCS-2 70/67), a Decimal shown ``1.00``.
  ``postpaid`` accounts are never refused for credit. ``shorturl`` is recorded, the text unchanged.
* **Status table** (``errors.py``): send answers ``101 PENDING``; logs show ``101`` while accepted,
  ``102 PENDING`` once sent, then the final state: ``000 DELIVERED Successfully sent to phone``,
  and for failed/expired/rejected the general group (``"2" UNDELIVERED``, ``"4" EXPIRED``,
  ``"5" REJECTED`` with the group's remark) because the public table gives no detailed row for
  them. A scenario's delivery ``code`` picks a detailed row (``status: failed, code: 207`` ->
  ``207 UNDELIVERED Authentication failed``); a code the table lacks is echoed with the state's
  group name and remark. **The public table is cut off after 208** (a ``209`` row follows with no
  text); we do not invent rows beyond it.
* **Message logs**: at least one filter (``bulkId``, ``messageId``, ``mobile`` in any format,
  ``sendDateStart``/``sendDateEnd`` as ``yyyy-MM-dd HH:mm:ss`` Bangkok time, ``T`` also accepted);
  all given filters must match; only the caller's messages of the last 48 hours (shared clock);
  grouped by bulkId in send order; ``doneDate`` is ``null`` until the final state. Times are
  Asia/Bangkok ``yyyy-MM-ddTHH:mm:ss.fff`` without trailing zeros, as in the seed.
* **Delivery reports**: one POST per message when it reaches its final state, with the seed's
  body (one ``detail``), to ``notifyUrl`` or else the account's ``callback_url``, in the
  ``notifyContentType`` format (else the account's ``callback_content_type``, default JSON).
  ``Authorization: Basic`` is built from the account's ``callback_auth`` and absent without it;
  ``callbackData`` is echoed (``null`` when not given). Any 2xx counts as received; anything else
  is retried by the dispatcher.
* **Preview**: ``credit`` is a string (as the notes show), ``character`` the characters still free
  in the parts used.
* **Sender list** (shape not public): ``{"senders": [<name>, ...]}`` in the account's order.
* **OTP**: ``otcId`` names an OTP config of the calling account (case-insensitive GUID);
  ``mobile`` is a Thai mobile number (``66...``, ``+66...`` or ``0...``). The OTP SMS is sent from
  the config's sender with its template, costs credit like any SMS (400 ``Insufficient credit``
  when it cannot be paid) and gets a delivery report when ``notifyUrl`` is given. ``otpId`` is a
  UUID4, ``referenceCode`` ``ref_length`` upper-case letters/digits. ``resendOTP`` keeps the otpId,
  sends a new code and reference and starts validity and tries afresh (the old code stops
  working). ``verifyOTP`` answers HTTP 200: right code ``result: true``; wrong code ``result:
  false`` and, from the ``tries``-th wrong code on, ``isErrorCount: true`` (even for the right
  code afterwards); past validity ``isExprCode: true``. A verified OTP cannot be verified or
  resent again (400 ``OTP has already been verified``); an unknown or other account's otpId is 400
  ``Invalid otpId``.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.errors import ErrorRow
from mockserver.core.store import Message
from mockserver.http.vendor import Call, LoadSend, Mount, Operation, SampleRequest, Vendor, compact_json
from mockserver.vendors.ants import oldplatform, reports, routes, twoway
from mockserver.vendors.ants.errors import ERRORS
from mockserver.vendors.ants.models import AntsModel


class Ants(Vendor):
    name = "ants"
    title = "ANTS"
    country = "TH"
    errors = ERRORS
    package_dir = Path(__file__).parent
    account_fields: ClassVar[Mapping[str, str]] = {
        "accounts": "username"
    }  # strict: true on these entries (mockserver.contracts.strict)
    generic_errors: ClassVar[Mapping[str, str]] = {
        E.BAD_BODY: "INVALID_REQUEST_BODY",
        E.MEDIA_TYPE: "UNSUPPORTED_CONTENT_TYPE",
        E.TOO_LARGE: "REQUEST_TOO_LARGE",
        E.NOT_FOUND: "NOT_FOUND",
        E.METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
        E.INTERNAL: "SYSTEM_ERROR",
    }

    model_class = AntsModel

    def build_mounts(self) -> Sequence[Mount]:
        h = routes.Handlers(self)
        old = oldplatform.OldPlatformHandlers(self)
        return (
            Mount(
                prefix="/ants",
                hosts=("api-service.ants.co.th", *oldplatform.OLD_HOSTS),
                operations=(
                    Operation(
                        "send_sms", "POST", "/sms/send", h.send, summary="Send SMS to up to 500 numbers", sends=True
                    ),
                    Operation("loginfo", "GET", "/sms/loginfo", h.loginfo, summary="Message logs of the last 48 hours"),
                    Operation("preview", "POST", "/sms/preview", h.preview, summary="Credits a text would cost"),
                    Operation("balance", "POST", "/account/balance", h.balance, summary="Account credit"),
                    Operation("sender_list", "GET", "/sms/senderList", h.sender_list, summary="Sender names"),
                    Operation(
                        "otp_request", "POST", "/otp/requestOTP", h.request_otp, summary="Send an OTP", sends=True
                    ),
                    Operation(
                        "otp_resend", "POST", "/otp/resendOTP", h.resend_otp, summary="Send a new OTP code", sends=True
                    ),
                    Operation("otp_verify", "POST", "/otp/verifyOTP", h.verify_otp, summary="Check an OTP code"),
                    Operation(
                        "send_single",
                        "POST",
                        oldplatform.SINGLE,
                        old.single,
                        summary="Old platform: one text",
                        sends=True,
                    ),
                    Operation(
                        "send_multi",
                        "POST",
                        oldplatform.MULTI,
                        old.multi,
                        summary="Old platform: several texts",
                        sends=True,
                    ),
                    Operation(
                        "send_advanced",
                        "POST",
                        oldplatform.ADVANCED,
                        old.advanced,
                        summary="Old platform: full send",
                        sends=True,
                    ),
                ),
                render_error=routes.render_error,
            ),
        )

    def render_error(
        self, call: Call | None, row: ErrorRow, detail: str, context: Mapping[str, Any]
    ) -> web.StreamResponse:
        return routes.render_error(call, row, detail, context)

    def on_status(self, message: Message) -> None:
        if twoway.on_status(self, message):  # a 2-way reply SMS: no report (see twoway.py)
            return
        reports.on_status(self, message)

    def reports_on(self, message: Message) -> bool:
        """A 2-way reply SMS that fails sends the failed-transaction callback (twoway.py), with no
        ``callback_url`` of its own: its steps are acted on too."""
        return message.callback_url is not None or message.operation == twoway.REPLY_OPERATION

    inbound = twoway.plan  # SMS 2-Way Interactive: POST /_mock/inbound (see twoway.py)

    def _first_account(self):
        return next(iter(self.model.accounts.values()))

    def sample_send(self, recipient: str, text: str = "Hello from sms-mockserver") -> SampleRequest:
        account = self._first_account()
        token = base64.b64encode(f"{account.username}:{account.password}".encode()).decode("ascii")
        body = {"messages": [{"from": account.senders[0], "destinations": [{"to": recipient}], "text": text}]}
        return SampleRequest(
            "POST",
            "/ants/sms/send",
            {"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Basic {token}"},
            compact_json(body),
            "send_sms",
        )

    def sample_recipient(self, n: int) -> str:
        return f"66899900{n:03d}"

    def load_recipient(self, n: int) -> str:
        return f"6681{n % 10_000_000:07d}"  # 081xxxxxxx, not the magic 0899900nnn

    def load_sends(self) -> Sequence[LoadSend]:
        return (LoadSend("ANTS send", lambda n: self.sample_send(self.load_recipient(n), f"load {n}")),)

    def credit_left(self) -> float | None:
        return float(self._first_account().credit)

    @classmethod
    def without_limits(cls, given: Mapping[str, Any], credit: int) -> dict[str, Any]:
        section = copy.deepcopy(dict(given))
        for account in section.get("accounts", ()):
            account["credit"] = credit
            account["rate_limit"] = {"requests": credit, "seconds": 1}
        return section

    def describe(self) -> dict[str, Any]:
        return {
            "accounts": [
                {"username": a.username, "password": a.password, "senders": list(a.senders), "credit": float(a.credit)}
                for a in self.model.accounts.values()
            ],
            "otp_configs": [c.otc_id for c in self.model.otp_configs.values()],
        }


VENDOR = Ants
