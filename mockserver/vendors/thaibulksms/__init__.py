"""ThaiBulkSMS API v2 (Thailand): the SMS API and the OTP API.

Sources: the vendor's API 2.0 document (``seeds/thaibulksms-api-v2.txt``) and the ThaiBulkSMS
section of the vendor notes. Two mounts:

* SMS API, real host ``api-v2.thaibulksms.com``, mock prefix ``/thaibulksms``, HTTP Basic
  ``api_key:api_secret``: ``send_sms`` ``POST /sms``, ``credit`` ``GET /credit``, and ours,
  ``short_link`` ``GET /s/{code}`` (the target of ``shorten_url`` links, see below).
* OTP API, real host ``otp.thaibulksms.com``, mock prefix ``/thaibulksms-otp``, the OTP app's
  ``key`` and ``secret`` in the body: ``otp_request`` ``POST /v2/otp/request``, ``otp_verify``
  ``POST /v2/otp/verify``, ``otp_request_v1`` ``POST /v1/otp/request``, ``otp_verify_v1``
  ``POST /v1/otp/verify``.
* Legacy API, real host ``www.thaibulksms.com``, mock prefix ``/thaibulksms-legacy``, ``username``
  and ``password`` in the form: ``legacy_send_sms`` ``POST /sms_api.php``, XML answers; its
  decisions are in ``legacy.py``.

Decisions where the document is silent (the vendor notes' and ours):

Error table and codes
* Every row of the seed's table is a row of ``errors.ERRORS`` with its HTTP status, name and
  description verbatim. The seed gives one numeric code (``ERROR_MESSAGE`` = 112); ours: the 400
  rows count up in the seed's order from ``ERROR_FORM`` = 108 so that ``ERROR_MESSAGE`` is 112
  (108-126), the 401/403 rows are 201-207, the 404/405 rows 301-304, the 500 rows 501-525 in the
  seed's order, ``NO_ERROR`` is 0 (never sent: a success has no error object). ``code`` is a JSON
  number (the seed's example), although the seed's field table says "string".
* The seed lists ``ERROR_USER_NOT_FOUND`` twice (404); it is one row.
* Generic failures: a malformed body (bad JSON, bad form encoding, bad UTF-8, a JSON value that
  is not an object, a field of the wrong JSON type), a media type other than form, multipart or
  JSON, and a body over the size limit are all ``ERROR_FORM`` (400): the vendor's API binds the
  request to a form and fails the same way for each. Unknown paths are ``ERROR_NOT_FOUND`` (404),
  wrong methods ``ERROR_METHOD_NOT_ALLOWED`` (405), our own bugs ``ERROR_SYSTEM_FAILURE`` (500).
  The 500 rows are reached through scenario rules ``respond: {error: NAME}`` (or the code).

Who is calling (checked first, before the body is read, in this order)
* Missing/malformed ``Authorization: Basic``, unknown key or wrong secret:
  ``ERROR_AUTHENTICATION_FAILED`` (401).
* Account flags in the config: ``api_key_status`` ``suspended``/``disabled``
  (``ERROR_API_KEY_SUSPENDED``/``ERROR_API_KEY_DISABLED``), ``user_status`` ``blocked``/
  ``not_found``/``profile_not_found`` (``ERROR_USER_BLOCKED``/``ERROR_USER_NOT_FOUND``/
  ``ERROR_USER_PROFILE_NOT_FOUND``), the client IP in ``suspended_ips`` (``ERROR_IP_SUSPENDED``),
  an ``allowed_ips`` list without the client IP (``ERROR_IP_NOT_ALLOWED``), and
  ``configuration_error: true`` (``ERROR_CONFIGURATION``, "Reload configuration failed.", which no
  request input can cause). The client IP is the first ``X-Forwarded-For`` hop, else the peer.

``POST /sms``
* Bodies: ``application/x-www-form-urlencoded`` (the vendor's examples), ``multipart/form-data``
  (curl ``--form``) and JSON; with no Content-Type a body starting with ``{`` is JSON, else a form.
  In a form the last value of a repeated field wins.
* Checks, first failure answers: ``msisdn``, ``message`` and ``sender`` present and strings, else
  ``ERROR_FORM`` (this structural check is the ``accepts`` part of
  ``schemas/operations/send_sms.json``; its ``request`` part is the documented contract that
  strict mode checks); ``acc_id`` (optional) equal to the account's configured ``acc_id``, else
  ``ERROR_ACC_ID``; ``force`` ``standard``/``corporate`` (any case; absent or empty means
  ``standard``, as the real API defaults to the standard pool), else ``ERROR_FORCE``; ``sender``
  1-11 printable ASCII characters, else ``ERROR_SENDER``, and one of the account's senders with the
  exact spelling, else ``ERROR_SENDER_NOT_FOUND``; ``message`` not blank and without NUL, else
  ``ERROR_MESSAGE``; more than 500 numbers ``ERROR_MSISDN_EXCEEDED_LIMIT``; no valid number
  ``ERROR_MSISDN``; a trial account sending to a number outside ``registered_numbers``
  ``ERROR_USER_TRIAL`` (the whole request); ``scheduled_delivery``; ``callback_url`` (an http(s)
  URL the callback policy allows, else ``ERROR_CALLBACK_URL``); ``callback_method`` (GET/POST/PUT,
  any case, else ``ERROR_CALLBACK_METHOD``); tags; the message after shortening longer than 10 SMS
  parts ``ERROR_MESSAGE_TOO_LONG``; last the credit (``ERROR_INSUFFICIENT_CREDIT``, nothing sent
  and nothing deducted).
* ``msisdn``: comma-separated, spaces around items allowed, empty items skipped, a number given
  twice is sent (and charged) once. Valid: Thai mobiles ``0[689]XXXXXXXX``, ``66[689]XXXXXXXX``,
  ``+66[689]XXXXXXXX``; answered and journaled as ``66XXXXXXXXX``. Invalid items go to
  ``bad_phone_number_list`` as given with ``message`` = ``MSISDN is invalid.``.
* Credits: per recipient per part (GSM-7 160/153, UCS-2 70/67, ``mockserver.core.textparts``), from the
  ``force`` type. ``remaining_credit`` is that type's balance after the send; ``used_credit`` is
  the parts of one message; ``total_use_credit`` their sum.
* ``message_id``: 22 characters ``[A-Za-z0-9]`` like the seed's ``Gi9YlmTd6wpgMdec8iMrRi``.
* ``scheduled_delivery``: RFC 3339 with seconds and an offset (``2020-12-17T17:12:00+07:00``),
  else ``ERROR_SCHEDULED_DELIVERY``; an offset other than +07:00 (``Z`` included)
  ``ERROR_SCHEDULED_DELIVERY_TIMEZONE``; a time not in the future ``ERROR_SCHEDULED_DELIVERY``;
  on or after the same instant one calendar year ahead ``ERROR_SCHEDULED_DELIVERY_TOO_FAR``. Credit
  is charged at request time; the message waits in ``scheduled`` until then.
* ``shorten_url``: ``true``/``false`` (JSON boolean or string, any case), other values
  ``ERROR_FORM``. ``true`` replaces every http(s) URL with ``<base>/<7 chars>``, counted after
  replacement; ``GET /s/{code}`` on the SMS mount answers 302 to the original URL (unknown code:
  ``ERROR_NOT_FOUND``). ``<base>`` is the mock as the client reached it
  (``http://127.0.0.1:8080/thaibulksms/s``, or ``/s`` on the real host) unless the config sets
  ``short_link_base``.
* Tags: ``tag`` (what public clients send) and ``tags`` (the error table's word), each a
  comma-separated string or a JSON list of strings; a tag is 1-50 of letters, digits (any
  script), space, ``_``, ``-``, ``.``. An empty item or another character ``ERROR_TAGS``; a tag over
  50 characters or more than 10 tags ``ERROR_TAGS_EXCEEDED_LENGTH``; the same tag twice (any case)
  ``ERROR_TAGS_EXIST``.

``GET /credit``
* ``{"remaining_credit": {"standard": N, "corporate": N}}`` (notes); with ``?force=`` only that
  type's key; another value ``ERROR_FORCE``.

Delivery reports
* Sent to the send's ``callback_url`` or else the account's configured one, with ``callback_method``
  (default POST). Fields (notes): ``message_id``, ``msisdn`` (66...), ``status`` ``DELIVERED``/
  ``UNDELIVERED``/``EXPIRED``/``REJECTED``, ``sent_time`` and ``done_time`` (ISO-8601 +07:00, to the
  second), ``error_message`` (``""`` when delivered, else our text per status), ``tag`` (the tags
  comma-joined, ``""`` when none). GET: query parameters added to the URL; POST/PUT: a JSON body.
  One report per message at its final state; any 2xx counts as received, others are retried.

OTP API
* No Authorization header; ``key`` and ``secret`` of an OTP app in the body (form or JSON).
  ``/v2/otp/request`` {key, secret, msisdn} -> ``{"status":"success","token","refno"}``; the SMS
  reads ``TBS Code: <pin>. Valid for <n> minutes.`` (template, PIN length and validity per app).
  ``/v2/otp/verify`` {key, secret, token, pin} -> ``{"status":"success","message":"Code is correct."}``.
  The v1 paths behave the same with the v1 error wrapper; v1 successes have the v2 shape.
* Errors, HTTP 400: ``{"code": 400, "errors": [{"message": "...", "detail": ...}]}`` (v1:
  wrapped in ``{"error": ...}``). ``Invalid Paramete.`` (sic) for a missing/invalid key, secret,
  msisdn, token or pin, a wrong key/secret pair and a malformed body, with ``detail`` a sentence
  naming the field; ``Token is expire.`` for an expired, unknown, other app's or already verified
  token (a token is used up by its first success); ``Code is invalid.`` for a wrong PIN (no attempt
  limit). ``detail`` is null for these two. Unknown OTP paths and wrong methods use the v2 shape
  with the SMS table's texts (``{"code": 404, "errors": [{"message": "Not Found.", ...}]}``).
* ``token``: 32 ``[A-Za-z0-9]``; ``refno``: 6 ``[A-Z0-9]``. The OTP SMS is journaled (operation
  ``otp_request``, account = the app key, sender = the app's ``sender``) with 0 SMS credit: OTP
  apps are billed by OTP package, not from the SMS credit. ``GET /_mock/otp?vendor=thaibulksms&
  phone=...`` shows the PIN.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.errors import ErrorRow
from mockserver.core.store import Message
from mockserver.http.vendor import Call, LoadSend, Mount, Operation, SampleRequest, Vendor
from mockserver.vendors.thaibulksms import legacy, reports, routes
from mockserver.vendors.thaibulksms.errors import ERRORS
from mockserver.vendors.thaibulksms.models import ThaiBulkSMSModel


class ThaiBulkSMS(Vendor):
    name = "thaibulksms"
    title = "ThaiBulkSMS"
    country = "TH"
    errors = ERRORS
    package_dir = Path(__file__).parent
    account_fields: ClassVar[Mapping[str, str]] = {
        "accounts": "api_key",
        "otp_apps": "key",
    }  # strict: true on these entries (mockserver.contracts.strict)
    generic_errors: ClassVar[Mapping[str, str]] = {
        E.BAD_BODY: "ERROR_FORM",
        E.MEDIA_TYPE: "ERROR_FORM",
        E.TOO_LARGE: "ERROR_FORM",
        E.NOT_FOUND: "ERROR_NOT_FOUND",
        E.METHOD_NOT_ALLOWED: "ERROR_METHOD_NOT_ALLOWED",
        E.INTERNAL: "ERROR_SYSTEM_FAILURE",
    }

    model_class = ThaiBulkSMSModel

    def build_mounts(self) -> Sequence[Mount]:
        h = routes.Handlers(self)
        v1, v2 = routes.otp_v1_error, routes.otp_v2_error
        return (
            Mount(
                prefix=routes.SMS_PREFIX,
                hosts=("api-v2.thaibulksms.com",),
                operations=(
                    Operation("send_sms", "POST", "/sms", h.send_sms, routes.sms_error, "Send SMS", sends=True),
                    Operation("credit", "GET", "/credit", h.credit, routes.sms_error, "Remaining credit"),
                    Operation(
                        "short_link",
                        "GET",
                        routes.SHORT_LINK_PATH + "/{code}",
                        h.short_link,
                        routes.sms_error,
                        "Short link of shorten_url (302 to the original URL)",
                    ),
                ),
                render_error=routes.sms_error,
            ),
            Mount(
                prefix=routes.OTP_PREFIX,
                hosts=("otp.thaibulksms.com",),
                operations=(
                    Operation(
                        "otp_request", "POST", "/v2/otp/request", h.otp_request, v2, "Request an OTP", sends=True
                    ),
                    Operation("otp_verify", "POST", "/v2/otp/verify", h.otp_verify, v2, "Verify an OTP"),
                    Operation(
                        "otp_request_v1",
                        "POST",
                        "/v1/otp/request",
                        h.otp_request,
                        v1,
                        "Request an OTP (v1)",
                        sends=True,
                    ),
                    Operation("otp_verify_v1", "POST", "/v1/otp/verify", h.otp_verify, v1, "Verify an OTP (v1)"),
                ),
                render_error=v2,
            ),
            Mount(
                prefix=legacy.LEGACY_PREFIX,
                hosts=legacy.LEGACY_HOSTS,
                operations=(
                    Operation(
                        legacy.OPERATION,
                        "POST",
                        legacy.LEGACY_PATH,
                        legacy.LegacyHandlers(self).send_sms,
                        legacy.legacy_error,
                        "Send SMS, legacy API (form with username/password, XML answer)",
                        sends=True,
                    ),
                ),
                render_error=legacy.legacy_error,
            ),
        )

    def render_error(
        self, call: Call | None, row: ErrorRow, detail: str, context: Mapping[str, Any]
    ) -> web.StreamResponse:
        return routes.sms_error(call, row, detail, context)

    def on_status(self, message: Message) -> None:
        reports.on_status(self, message)

    def sample_send(self, recipient: str, text: str = "Hello from sms-mockserver") -> SampleRequest:
        account = next(iter(self.model.accounts.values()))
        token = base64.b64encode(f"{account.api_key}:{account.api_secret}".encode()).decode("ascii")
        body = urlencode({"msisdn": recipient, "message": text, "sender": account.senders[0]}).encode("ascii")
        headers = {"Authorization": f"Basic {token}", "Content-Type": "application/x-www-form-urlencoded"}
        return SampleRequest("POST", f"{routes.SMS_PREFIX}/sms", headers, body, "send_sms")

    def sample_recipient(self, n: int) -> str:
        return f"66899900{n:03d}"

    def load_recipient(self, n: int) -> str:
        return f"6681{n % 10_000_000:07d}"  # 081xxxxxxx, not the magic 0899900nnn

    def load_sends(self) -> Sequence[LoadSend]:
        many = ",".join(self.load_recipient(9_000_000 + i) for i in range(500))  # the most one send takes
        return (
            LoadSend("ThaiBulkSMS /sms x1", lambda n: self.sample_send(self.load_recipient(n), f"load {n}")),
            LoadSend("ThaiBulkSMS /sms x500", lambda n: self.sample_send(many, f"load {n}"), pool=50),
        )

    def credit_left(self) -> float | None:
        return next(iter(self.model.accounts.values())).credit["standard"]  # sample_send's (no force)

    @classmethod
    def without_limits(cls, given: Mapping[str, Any], credit: int) -> dict[str, Any]:
        section = copy.deepcopy(dict(given))
        for account in section.get("accounts", ()):
            account["credit"] = {"standard": credit, "corporate": credit}
        return section

    def describe(self) -> dict[str, Any]:
        return {
            "accounts": [
                {
                    "api_key": a.api_key,
                    "api_secret": a.api_secret,
                    "senders": list(a.senders),
                    "credit": dict(a.credit),
                    **({"username": a.username, "password": a.password} if a.username else {}),
                }
                for a in self.model.accounts.values()
            ],
            "otp_apps": [{"key": o.key, "secret": o.secret} for o in self.model.otp_apps.values()],
        }


VENDOR = ThaiBulkSMS
