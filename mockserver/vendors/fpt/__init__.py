"""FPT SMS Brandname (Vietnam): ``app.sms.fpt.net`` / ``sandbox.sms.fpt.net``, mounted at ``/fpt``.

Also on ``api01.sms.fpt.net`` (the production host public clients call) and ``service.sms.fpt.net``
(an older one): the same paths on every host, so a client needs only its base URL (or Host) changed.

Source: the vendor's API document (``seeds/fpt-sms-brandname-api.txt``, 2016) and the FPT section
of the vendor notes. Operations (all ``POST``, JSON bodies):

* ``token``: ``/oauth2/token`` -> ``{access_token, expires_in, token_type, scope}``
* ``send_sms``: ``/api/push-brandname-otp`` (scope ``send_brandname_otp``) -> ``MessageId``...
* ``send_international``: ``/api/push-brandname-international`` (scope ``send_brandname_otp``)
* ``create_campaign``: ``/api/create-campaign`` (scope ``send_brandname``) -> ``CampaignCode``
* ``send_ads``: ``/api/push-brandname-ads`` (scope ``send_brandname``) -> ``BatchId``...
* ``cancel_ads``: ``/api/cancel-ads`` (scope ``send_brandname``) -> ``{success, fail}``

Errors are ``{"error": <int>, "error_description": "<Vietnamese text of the seed>"}`` with an HTTP
status other than 200; the table (codes, statuses, Vietnamese and English texts) is
``errors.ERRORS``. Decisions where the document is silent (the notes' and ours):

Bodies and the error shape
  * A body that is not a JSON object (the seed's own examples omit commas, and are therefore
    rejected), bad UTF-8 or lone surrogates: 1001, HTTP 400. A Content-Type that is present and
    not JSON: 1001 with HTTP 415 (a missing one is tolerated). ``/oauth2/token`` also takes
    ``application/x-www-form-urlencoded``, as standard OAuth2 client libraries send it.
  * Unknown path 1001/404, wrong method 1001/405, body over the size limit 1001/413, a bug of
    ours 1006/500: the same shape, so a client's error handling sees one format.
  * HTTP statuses follow the OAuth2 meaning of each code (1001-1016 are RFC 6749/6750's error
    codes in order): 400 for request/parameter errors (1001, 1004, 1005, 1009, 1014, 1015,
    2501, 2513, 2518, 2519), 401 for client and token errors (1008, 1011, 1012, 1013; with a
    ``WWW-Authenticate: Bearer`` header), 403 for 1002, 1003, 1010 and 1016, 500 for 1006,
    503 for 1007. 1002-1004, 1006, 1007, 2518 and 2519 have no trigger of their own: a scenario
    rule ``respond: {error: <code>}`` produces them.
  * Missing ``access_token`` (body and header) or ``session_id`` on an API call: 1001. Any other
    missing or wrong field of an API (types, base64, phone, BrandName format, ScheduleTime,
    Quota, CampaignCode, PhoneList): 1014.

OAuth2 tokens (``/oauth2/token``)
  * Checked in this order: ``grant_type`` (only ``client_credentials``; another standard OAuth2
    grant type such as ``password`` is 1015 "not supported", anything else including a missing
    one is 1009 "invalid"), ``client_id``/``client_secret`` (1008), ``scope`` (space separated;
    missing, empty or not all granted to the client: 1005), ``session_id`` (missing: 1001).
  * The answer is ``{access_token, expires_in, token_type: "Bearer", scope}`` with the scopes in
    the order asked (duplicates dropped). Every request issues a new token; earlier ones stay valid
    until they expire. ``expires_in`` is 3600 (per account ``expires_in``), counted on the shared
    clock: ``POST /_mock/clock {"advance": "2h"}`` expires it (1013).
  * Tokens look like the seed's (base64 of base64 text): ``base64(base64(id || HMAC-SHA256(
    client_secret, id)))``. An unknown token is 1011; a token-shaped string whose MAC no client
    secret made is 1012 (altered); a well-signed token we no longer know (issued before
    ``/_mock/reset``) is 1011.
  * A token is bound to its scopes (an API whose scope it lacks: 1010) but, by default, not to its
    ``session_id``: public clients request the token with one session_id and call the APIs with
    another (a fixed string, or a new random value per call), and the seed's own examples do the
    same (token ``789dC48b88e54f58ece5939f14a``, push ``abcde``), so the real service evidently
    accepts any. ``session_id`` stays required (missing or empty: 1001). The strict binding (another
    session_id than the token request's: 1011) is an opt-in account flag ``bind_session_id: true``
    for teams that want to catch it. ``access_token`` in the body wins over ``Authorization: Bearer``.
  * The demo account carries a pre-issued token that never expires (``demo-fpt-access-token``,
    session_id ``abcde``, both scopes), so one request is enough to try the API; configs may list
    such tokens under ``accounts[].tokens`` (``expires_at`` optional).

push-brandname-otp / push-brandname-international
  * ``Message`` is standard base64 (padding required, no line breaks) of UTF-8 text; anything else
    is 1014, so the seed's example ``dGVzdCB0aW4gbmjuhuq9u`` (21 characters, a typo of
    ``dGVzdCB0aW4gbmjhuq9u``) is 1014. At most 10 SMS parts (our limit). The answer's ``Message``
    is the decoded text, as the seed's example shows.
  * ``BrandName`` must be one of the account's (2513); checked before the phone.
  * ``Phone`` ``84``, ``0`` or ``+84`` + 9 digits, or the 9 digits alone (the national number
    without its 0: clients that strip ``+84``); a JSON number is taken too; its prefix must be in the
    telco table (``telcos.py``). Anything else is 1014. Answered as ``84xxx``. The same formats
    hold for each number of ``PhoneList``.
    push-brandname-international takes a non-Vietnamese number with its country code (``+``
    optional, 8-15 digits); a Vietnamese one there is 1014; its ``Telco`` is ``international``.
    Both need the ``send_brandname_otp`` scope.
  * ``MessageId`` is a JSON int (the seed's table says Int; its example quotes it), increasing
    from 34379087 (config ``first_message_id``). ``PartnerId`` is the account's, a string.
  * Identical decoded text to the same number from the same client within 5 minutes of an
    accepted one is 2501 (config ``duplicate_window_seconds``); rejected sends do not count.
    The mock remembers the newest ``journal_size`` accepted sends for this (memory under load):
    above ``journal_size`` per window (333 sends/s by default) the oldest are forgotten early.
  * ``RequestId`` is optional (string or int); when given it is kept with the message and echoed
    as ``RequestId`` in the answer.
  * FPT's document describes no delivery report, so the mock sends none; the journal
    (``/_mock/messages``) shows each message's lifecycle.

Campaigns and ads
  * ``create-campaign``'s ``Message`` is plain text (the seed's example and FPT's PHP SDK send it
    unencoded). ``CampaignName`` unique per client (a repeat is 1014). ``ScheduleTime``
    ``yyyy-mm-dd HH:ii`` in Asia/Ho_Chi_Minh, strictly in the future and inside a send window,
    08:00-11:30 or 13:30-20:00 (both ends included), any day of the week; the operators' order
    hours and approval delay (seed 3.1) are not enforced. ``Quota`` a positive int or a string
    of digits. The answer is ``{"CampaignCode": ...}`` (the seed's ``" CampaignCode"`` with a
    space is a typo): base64 of an increasing campaign number (from 636, unpadded) followed by a
    PHP ``uniqid()`` (8 hex digits of Unix seconds, 5 seeded hex digits), like ``NjM1575fbf9aa0929``.
  * ``push-brandname-ads``: ``PhoneList`` a comma-separated string; invalid numbers, repeats and
    empty items (a trailing comma) are skipped and not charged; none valid is 1014. More valid
    numbers than the campaign's remaining quota is 1016 and nothing is sent. A CampaignCode of
    another client is 1014. ``BatchId`` ``qc.<unix seconds>.<4 seeded digits>``; ``NumMessageSent``
    and ``NumRemainQuota`` are ints (the table says Int). Each message's id is BatchId + phone
    (``qc.1464073279.817584949123456``: the seed's "BatchId + số điện thoại").
  * A batch is sent at the campaign's ScheduleTime on the shared clock; a batch pushed after that
    moment goes at once if the clock is inside a send window, else at the start of the next one
    (the operators block ads outside them). Until then its messages are ``scheduled``.
  * ``cancel-ads``: batches whose send moment has not come (and none of whose messages was moved
    on by hand) are cancelled (messages end ``cancelled``, their quota is given back) and listed
    in ``success``; the others in ``fail``. A batch cancelled earlier is listed in ``success``
    again (cancelling is idempotent). Batches are listed in the order they were pushed.

Scenario operation names: ``token``, ``send_sms``, ``send_international``, ``create_campaign``,
``send_ads``, ``cancel_ads``; the account is the ``client_id``, the sender the BrandName.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.errors import ErrorRow
from mockserver.core.store import Message
from mockserver.http.vendor import Call, LoadSend, Mount, Operation, SampleRequest, Vendor, compact_json
from mockserver.vendors.fpt import reports, routes
from mockserver.vendors.fpt.errors import ERRORS
from mockserver.vendors.fpt.models import FptModel
from mockserver.vendors.fpt.telcos import TELCO_BY_PREFIX


class Fpt(Vendor):
    name = "fpt"
    title = "FPT SMS Brandname"
    country = "VN"
    errors = ERRORS
    package_dir = Path(__file__).parent
    account_fields: ClassVar[Mapping[str, str]] = {
        "accounts": "client_id"
    }  # strict: true on these entries (mockserver.contracts.strict)
    generic_errors: ClassVar[Mapping[str, str]] = {
        E.BAD_BODY: "INVALID_REQUEST",
        E.MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
        E.TOO_LARGE: "BODY_TOO_LARGE",
        E.NOT_FOUND: "NOT_FOUND",
        E.METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
        E.INTERNAL: "INTERNAL",
    }

    model_class = FptModel

    def build_mounts(self) -> Sequence[Mount]:
        h = routes.Handlers(self)
        return (
            Mount(
                prefix="/fpt",
                hosts=("app.sms.fpt.net", "sandbox.sms.fpt.net", "api01.sms.fpt.net", "service.sms.fpt.net"),
                operations=(
                    Operation("token", "POST", "/oauth2/token", h.token, summary="OAuth2 client_credentials token"),
                    Operation(
                        "send_sms",
                        "POST",
                        "/api/push-brandname-otp",
                        h.send_sms,
                        summary="Brandname OTP/CSKH SMS",
                        sends=True,
                    ),
                    Operation(
                        "send_international",
                        "POST",
                        "/api/push-brandname-international",
                        h.send_international,
                        summary="Brandname SMS to a non-VN number",
                        sends=True,
                    ),
                    Operation(
                        "create_campaign", "POST", "/api/create-campaign", h.create_campaign, summary="Ads campaign"
                    ),
                    Operation(
                        "send_ads",
                        "POST",
                        "/api/push-brandname-ads",
                        h.send_ads,
                        summary="Ads batch to a campaign",
                        sends=True,
                    ),
                    Operation(
                        "cancel_ads", "POST", "/api/cancel-ads", h.cancel_ads, summary="Cancel unsent ads batches"
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
        reports.on_status(self, message)

    def sample_send(self, recipient: str, text: str = "Hello from sms-mockserver") -> SampleRequest:
        """push-brandname-otp with the demo account's pre-issued token: no token request needed.

        FPT rejects identical content to the same number within 5 minutes (2501), so callers that
        repeat a sample should vary the text or the recipient."""
        token = self.model.first_token()
        body = {
            "access_token": token.value,
            "session_id": token.session_id,
            "BrandName": min(token.account.brandnames),
            "Phone": recipient,
            "Message": base64.b64encode(text.encode("utf-8")).decode("ascii"),
        }
        return SampleRequest(
            "POST", "/fpt/api/push-brandname-otp", {"Content-Type": "application/json"}, compact_json(body), "send_sms"
        )

    def sample_recipient(self, n: int) -> str:
        """``84900000nnn``: Mobifone (090), in the answer's ``84xxx`` form."""
        return f"84900000{n:03d}"

    def load_recipient(self, n: int) -> str:
        """``84901nnnnnn``: Mobifone (090), away from the magic ``84900000nnn``."""
        return f"8490{1_000_000 + n % 1_000_000:07d}"

    def load_sends(self) -> Sequence[LoadSend]:
        return (LoadSend("FPT OTP push", lambda n: self.sample_send(self.load_recipient(n), f"load {n}")),)

    def describe(self) -> dict[str, Any]:
        return {
            "accounts": [
                {
                    "client_id": a.client_id,
                    "client_secret": a.client_secret,
                    "scopes": sorted(a.scopes),
                    "brandnames": sorted(a.brandnames),
                    "partner_id": a.partner_id,
                    "tokens": [
                        {"access_token": t.value, "session_id": t.session_id, "scope": t.scope}
                        for t in self.model.tokens.values()
                        if t.account is a and t.expires_at is None
                    ],
                }
                for a in self.model.accounts.values()
            ],
            "telcos": dict(TELCO_BY_PREFIX),
        }


VENDOR = Fpt
