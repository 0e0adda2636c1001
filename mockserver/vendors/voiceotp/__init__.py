"""Voice OTP (Vietnam, "OneSms"): ``210.211.108.20:8080/onsmsapivoice/``, mounted at ``/voiceotp``.

Source: the seed ``voice-otp-api.txt`` and the Voice OTP section of the vendor notes. The gateway
phones a number and reads out a numeric code. Operations (all ``POST`` JSON):

=================  ==============================  ==========================================  =====================
operation          path                            body                                        answer
=================  ==============================  ==========================================  =====================
``otp_send``       ``/onsmsapivoice/postSMS``      username pass key sender phonesend message  ``1,,,<request_id>``
                                                                                               or ``<code>``
``check_voice``    ``/onsmsapivoice/checkVoice``   username pass key request_id                ``1`` / ``27`` / ``23``
                                                                                               or ``<code>``
``check_balance``  ``/onsmsapivoice/checkBalance`` username pass key                           ``{"errorcode":"1",
                                                                                               "balance":N}``
=================  ==============================  ==========================================  =====================

The codes, with the seed's English and Vietnamese texts, are data in ``errors.py``.

Decisions where the seed is silent (the vendor notes' and ours):

* Answers: postSMS and checkVoice are ``text/plain; charset=utf-8`` holding the code alone, or
  ``1,,,<request_id>`` for an accepted call (no trailing newline); ``request_id`` is a UUID4 drawn
  from ``services.rng``. checkBalance is compact JSON; its ``errorcode`` is the string ``"1"`` on
  success and ``"0"`` with ``"balance":0`` for *every* failure (bad credentials, IP, bad body,
  scenario error). Every coded answer is HTTP 200, as a plain-text gateway's clients expect.
* postSMS checks run in this order and the first failure answers:
  body is a JSON object (11); ``username``/``pass``/``key`` all match one account, a missing or
  non-string one included (-1); [scenario rules apply here]; the caller's IP is in the account's
  ``allowed_ips`` when it has any (-2; compared with the TCP peer address, ``X-Forwarded-For`` is
  not trusted; IPv4-mapped IPv6 addresses count as IPv4); account flags ``activated: false`` (22),
  ``expired: true`` (15), ``service_expired: true`` (16); balance 0 (-8); ``phonesend`` (below);
  ``sender`` one of the account's declared ``senders``, exact case, missing included (5);
  ``message`` (below); balance above 0 but below the account's ``price`` per call (14); the same
  ``message`` to the same number from the same account accepted less than 5 minutes ago on the
  shared clock (6; refused calls do not count). The mock remembers the newest ``journal_size``
  accepted calls for this (memory under load): past 333 calls/s by default, the oldest are
  forgotten before their 5 minutes.
* -8 versus 14: the seed's user table has -8 "Account not enough" and its message table 14 "not
  enough (money)". We answer -8 when the balance is empty (0) -- an account-level check made before
  the message is looked at -- and 14 when some balance is left but less than one call's ``price``
  (``price`` defaults to 1 unit, so 14 needs an account configured with a higher price).
* ``phonesend`` must be a JSON string of digits, optionally after ``+``; anything else (missing,
  null, a number, spaces, letters) is -4. Digits in the form ``0`` or ``84`` + 9 digits whose
  first two are a Vietnamese mobile network code (3x, 52/55/56/58/59, 70/76-79, 81-99) are valid;
  an old 11-digit number ``01[2-9]xxxxxxxx`` (renumbered to 10 digits in 2018) is 31 "extension 11
  has changed"; every other digit string (landline, wrong length, wrong prefix) is 10. Valid numbers
  are journaled, registered as OTPs and matched by scenario rules in national form ``0XXXXXXXXX``.
* ``message`` must be a JSON string of 1 to 6 ASCII digits (11 otherwise, a number or an empty string
  included). A message with any non-ASCII character answers 20 on an account with ``unicode: false``
  (the default) before the digit check, and 11 on a ``unicode: true`` account.
* Each accepted call costs the account's ``price`` (1) unit; only postSMS costs. It is journaled as
  a store Message (``id`` = ``request_id``, ``operation`` ``otp_send``, ``text`` the code,
  ``encoding`` ``voice``, 1 part) and registered as an OTP (no expiry: the gateway does not verify
  codes) so that ``GET /_mock/otp?vendor=voiceotp&phone=`` returns it.
* checkVoice reads the call's state from the shared delivery lifecycle: ``accepted``/``sent``
  (ringing) or a scenario's ``pending`` answer 27; ``delivered`` (answered) 1; ``failed``,
  ``expired`` and ``rejected`` (busy / no answer) 23. Checks: body (11), credentials (-1), scenario
  rules, IP (-2), then ``request_id`` must be a call of this account (11 otherwise, missing
  included). Account flags do not block checkVoice or checkBalance: a customer can still read its
  calls and balance.
* Codes with no natural trigger in a mock (-5, -6 system error; 7 subscriber refuses; 9 template;
  23 wrong MO syntax; 27 gate error) are answered only when a scenario rule says
  ``respond: {error: <code or name>}``; every other code can be reached both ways. In checkVoice a
  rule's ``error: 23`` or ``error: 27`` reads as that call state.
* Generic failures (ours): a body that is not JSON, not an object, not UTF-8, with a lone surrogate,
  a Content-Type present and not JSON (form, multipart, text/plain; a missing one is tolerated) or
  over the size limit (1 MiB) answers 11 "invalid parameters" with HTTP 200; an unknown path under
  the prefix answers HTTP 404 and a wrong method (GET...) HTTP 405, both with body ``11``; an
  unexpected exception in the mock answers HTTP 500 with body ``-5`` "System Error". On checkBalance
  all of them are ``{"errorcode":"0","balance":0}`` with the same HTTP statuses (404/405 arise
  before the operation is known and so answer the plain ``11``).
* The seed has no delivery report push: call results are polled with checkVoice, so the accounts
  take no ``callback_url`` and no callback is sent.
* ``sample_recipient(n)`` is ``0399000NNN`` (Viettel prefix 039).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.errors import ErrorRow
from mockserver.core.store import Message
from mockserver.http.vendor import Call, LoadSend, Mount, Operation, SampleRequest, Vendor, compact_json
from mockserver.vendors.voiceotp import reports, routes
from mockserver.vendors.voiceotp.errors import ERRORS
from mockserver.vendors.voiceotp.models import VoiceOtpModel, whole

PREFIX = "/voiceotp"
BASE_PATH = "/onsmsapivoice"


class VoiceOtp(Vendor):
    name = "voiceotp"
    title = "Voice OTP"
    country = "VN"
    errors = ERRORS
    package_dir = Path(__file__).parent
    account_fields: ClassVar[Mapping[str, str]] = {
        "accounts": "username"
    }  # strict: true on these entries (mockserver.contracts.strict)
    generic_errors: ClassVar[Mapping[str, str]] = {
        E.BAD_BODY: "MALFORMED_BODY",
        E.MEDIA_TYPE: "WRONG_CONTENT_TYPE",
        E.TOO_LARGE: "BODY_TOO_LARGE",
        E.NOT_FOUND: "UNKNOWN_PATH",
        E.METHOD_NOT_ALLOWED: "WRONG_METHOD",
        E.INTERNAL: "INTERNAL_ERROR",
        # Ours: the gateway has no "slow down" or "maintenance" code; a flooded or down gateway
        # most plausibly answers its system errors (-6, -5), as a client of it would see them.
        E.RATE_LIMITED: "SYSTEM_ERROR_6",
        E.UNAVAILABLE: "SYSTEM_ERROR",
    }

    model_class = VoiceOtpModel

    def reset(self) -> None:
        super().reset()
        self._sample_codes = itertools.count(123456)  # restarts on reset, like every sequence

    def build_mounts(self) -> Sequence[Mount]:
        h = routes.Handlers(self)
        return (
            Mount(
                prefix=PREFIX,
                hosts=("210.211.108.20:8080",),
                operations=(
                    Operation(
                        "otp_send",
                        "POST",
                        f"{BASE_PATH}/postSMS",
                        h.post_sms,
                        routes.code_error,
                        "Place a voice call reading out a numeric code",
                        sends=True,
                    ),
                    Operation(
                        "check_voice",
                        "POST",
                        f"{BASE_PATH}/checkVoice",
                        h.check_voice,
                        routes.code_error,
                        "The state of a call: 27 ringing, 1 answered, 23 busy / no answer",
                    ),
                    Operation(
                        "check_balance",
                        "POST",
                        f"{BASE_PATH}/checkBalance",
                        h.check_balance,
                        routes.balance_error,
                        "The account's balance",
                    ),
                ),
                render_error=routes.code_error,
            ),
        )

    def render_error(
        self, call: Call | None, row: ErrorRow, detail: str, context: Mapping[str, Any]
    ) -> web.StreamResponse:
        return routes.code_error(call, row, detail, context)

    def on_status(self, message: Message) -> None:
        reports.on_status(self, message)

    def sample_send(self, recipient: str, text: str = "123456") -> SampleRequest:
        """A postSMS call with the first demo account. ``text`` is kept when it is a valid code
        (1-6 digits); otherwise each sample gets the next code of a sequence, so that repeated
        samples to one number are not refused as repeats (6)."""
        account = next(iter(self.model.accounts.values()))
        if text.isascii() and text.isdigit() and len(text) <= 6:
            code = text
        else:
            code = f"{next(self._sample_codes) % 1_000_000:06d}"
        body = {
            "phonesend": recipient,
            "sender": account.senders[0],
            "key": account.key,
            "message": code,
            "pass": account.password,
            "username": account.username,
        }
        return SampleRequest(
            "POST", f"{PREFIX}{BASE_PATH}/postSMS", {"Content-Type": "application/json"}, compact_json(body), "otp_send"
        )

    def sample_recipient(self, n: int) -> str:
        return f"0399000{n:03d}"

    def load_recipient(self, n: int) -> str:
        return f"0391{n % 1_000_000:06d}"  # Viettel 039, away from the magic 0399000nnn

    def load_sends(self) -> Sequence[LoadSend]:
        """postSMS with code ``n`` (6 digits): the text of a voice OTP is its code."""
        return (LoadSend("Voice postSMS", lambda n: self.sample_send(self.load_recipient(n), f"{n % 1_000_000:06d}")),)

    def credit_left(self) -> float | None:
        return float(next(iter(self.model.accounts.values())).balance)

    @classmethod
    def without_limits(cls, given: Mapping[str, Any], credit: int) -> dict[str, Any]:
        section = copy.deepcopy(dict(given))
        for account in section.get("accounts", ()):
            account["balance"] = credit
        return section

    def describe(self) -> dict[str, Any]:
        return {
            "accounts": [
                {
                    "username": a.username,
                    "pass": a.password,
                    "key": a.key,
                    "senders": list(a.senders),
                    "balance": whole(a.balance),
                }
                for a in self.model.accounts.values()
            ]
        }


VENDOR = VoiceOtp
