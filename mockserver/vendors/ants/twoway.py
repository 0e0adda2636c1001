"""ANTS SMS 2-Way Interactive (vendor page ``apidoc.ants.co.th/sms-2-way``; facts in the notes).

A subscriber texts a keyword to the customer's short code; ANTS POSTs JSON
``{"TRAN_ID", "MOBILE_NO", "MESSAGE", "KEYWORD"}`` to the customer, who answers
``{"TRAIN_ID" (sic), "RESULT_CODE", "RESULT_NAME", "MESSAGE"}``: ``00`` success, ``301``-``399``
the customer's own configured results (the page's examples: 301 INVALID_MEMBER, 302
INVALID_PRICE); ``MESSAGE`` is the SMS the subscriber gets back. A later callback
``{"ERROR_MESSAGE": "CHARGING_FAILED", "TRANSACTION_ID"}`` reports a failed transaction.

The mock plays ANTS: ``POST /_mock/inbound`` ``{"vendor": "ants", "from", "text", "keyword"?,
"account"?, "url"?, "charging"?}`` (see :mod:`mockserver.inspection.inbound`) builds the request
here (:func:`plan`); the core sends it through the callback dispatcher and hands the answer back
to :func:`plan`'s ``parse`` and ``answered``. The schemas are ``schemas/two_way.json``.

Decisions where the page is silent (ours):

* **URL and credentials**: the account's ``two_way_url`` (config) unless the call gives ``url``;
  neither is a 400. The request carries the account's ``callback_auth`` as HTTP Basic, as the
  delivery reports do (none when the account has none); ``Content-Type: application/json;
  charset=utf-8``; the body in the page's key order. ``account`` defaults to the first account.
* **Numbers**: ``from`` is a Thai mobile number in any form (``66...``, ``+66...``, ``0...``);
  ``MOBILE_NO`` is ``66XXXXXXXXX`` as on the page. ``keyword`` defaults to the text's first word,
  upper-cased. ``TRAN_ID`` is a UUID4 from the seeded generator.
* **Reading the answer** (any 2xx; other statuses are retried by the dispatcher): JSON per
  ``two_way.json#/$defs/success`` (the four fields as strings, ``RESULT_CODE`` ``00`` or
  ``301``-``399``; extra fields tolerated), and ``TRAIN_ID`` must be the ``TRAN_ID`` sent.
  Anything else (not JSON, a missing field, a number for a code, ``TRAN_ID`` spelled right
  instead of the page's ``TRAIN_ID``, another id) is the customer's contract violation: the
  inbound record is ``invalid`` with the problems listed, and no reply SMS is sent.
* **The reply SMS**: a valid answer with a non-empty ``MESSAGE`` (for ``00`` and for the
  customer's own 3xx codes alike) is journaled as an ANTS message to the subscriber
  (operation ``two_way_reply``, sender = the keyword, ``fields.inbound_id`` = the inbound id,
  ``bulkId`` = the ``TRAN_ID``), with the usual lifecycle; it shows in the message logs, costs
  no account credit (2-way traffic is billed to the subscriber) and sends no delivery report.
* **The failed-transaction callback**: when the reply SMS ends ``failed``, ANTS POSTs
  ``{"ERROR_MESSAGE": <the failure code, default CHARGING_FAILED>, "TRANSACTION_ID": <TRAN_ID>}``
  to the same URL with the same headers (journaled as a callback of the reply message and of
  the inbound record). Provoke it per inbound message with ``"charging": "CHARGING_FAILED"``
  (any code: the reply fails at once with it), with a scenario ``delivery`` rule that fails the
  reply (``match: {vendor: ants, recipient: ...}``, ``delivery: {status: failed, code:
  CHARGING_FAILED}``; the rule's ``code`` is the ``ERROR_MESSAGE``), or by marking the reply
  failed in the inbox (``POST /_mock/messages/{id}/deliver``).
"""

from __future__ import annotations

import json
import re
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver.contracts.schemas import OperationContract
from mockserver.core.errors import VendorError
from mockserver.core.store import FAILED, InboundRecord, Message
from mockserver.http.vendor import InboundAnswer, InboundPlan, InboundRefused, InboundRequest, compact_json
from mockserver.vendors.ants.models import JSON_CT, MAX_TEXT, VENDOR, AntsModel

if TYPE_CHECKING:
    from mockserver.vendors.ants import Ants

REPLY_OPERATION = "two_way_reply"
SUCCESS = "00"
DEFAULT_ERROR = "CHARGING_FAILED"
OPTIONS = ("charging",)
_OPTION_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SCHEMA = Path(__file__).parent / "schemas" / "two_way.json"


@cache
def contract() -> OperationContract:
    """``two_way.json`` compiled once: ``request``, ``success`` (the answer) and ``callback``."""
    document = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return OperationContract(VENDOR, "two_way", document, lambda schema, _base: schema)


def _account_config(vendor: Ants, username: str) -> dict[str, Any]:
    for entry in vendor.config.get("accounts") or ():
        if entry.get("username") == username:
            return entry
    return {}


def plan(vendor: Ants, request: InboundRequest) -> InboundPlan:
    """The 2-way request for one subscriber SMS; :class:`InboundRefused` says what is missing."""
    model: AntsModel = vendor.model
    unknown = sorted(set(request.options) - set(OPTIONS))
    if unknown:
        raise InboundRefused(f"unknown field(s) {', '.join(unknown)} for ants (its option: {', '.join(OPTIONS)})")
    charging = request.options.get("charging")
    if charging is not None and (not isinstance(charging, str) or not _OPTION_VALUE.match(charging)):
        raise InboundRefused('charging must be an error code such as "CHARGING_FAILED"')
    username = request.account or next(iter(model.accounts), None)
    account = model.accounts.get(username) if username is not None else None
    if account is None:
        raise InboundRefused(f"ants has no account {username!r} (accounts: {', '.join(model.accounts)})")
    try:
        mobile = model.mobile(request.sender)
    except VendorError:
        raise InboundRefused("from must be a Thai mobile number (66XXXXXXXXX, +66... or 0XXXXXXXXX)") from None
    if len(request.text) > MAX_TEXT:
        raise InboundRefused(f"text must be at most {MAX_TEXT} characters")
    keyword = request.keyword
    if keyword is None and request.text.strip():
        keyword = request.text.split(maxsplit=1)[0].upper()  # the subscriber texts "KEYWORD ..."
    if not keyword:
        raise InboundRefused("keyword is required when the text has no first word")
    url = request.url or _account_config(vendor, account.username).get("two_way_url")
    if not url:
        raise InboundRefused(f"ants account {account.username!r} has no two_way_url: configure one or give url")
    tran_id = vendor.services.rng.uuid4()
    body = {"TRAN_ID": tran_id, "MOBILE_NO": mobile, "MESSAGE": request.text, "KEYWORD": keyword}
    headers = account.callback_headers(JSON_CT)
    return InboundPlan(
        url=url,
        body=compact_json(body),
        headers=headers,
        account=account.username,
        sender=mobile,
        keyword=keyword,
        transaction_id=tran_id,
        parse=partial(parse_answer, tran_id),
        answered=partial(_reply, vendor, headers, charging),
        fields={"charging": charging} if charging else {},
    )


def parse_answer(tran_id: str, status: int, raw: bytes) -> InboundAnswer:
    """The customer's answer, with every way it breaks the page's contract (never raises)."""
    del status  # any 2xx: the page only shows the body
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        text = raw.decode("utf-8", "replace")
        shown = text if len(text) <= 80 else text[:79] + "…"
        return InboundAnswer(False, body=text, problems=(f"(body): expected a JSON object, got {shown!r}",))
    problems = [f"{p.field}: expected {p.expected}, got {p.got}" for p in contract().problems("success", data)]
    if isinstance(data, dict) and isinstance(data.get("TRAIN_ID"), str) and data["TRAIN_ID"] != tran_id:
        problems.append(f"TRAIN_ID: expected the TRAN_ID sent ({tran_id}), got {data['TRAIN_ID']!r}")
    if problems:
        return InboundAnswer(False, body=data, problems=tuple(problems))
    code = data["RESULT_CODE"]
    return InboundAnswer(code == SUCCESS, code, data["RESULT_NAME"], data["MESSAGE"] or None, data)


def _reply(
    vendor: Ants, headers: dict[str, str], charging: str | None, record: InboundRecord, answer: InboundAnswer
) -> Message | None:
    """Journal the answer's ``MESSAGE`` as the SMS the subscriber receives."""
    if not answer.reply:
        return None
    model: AntsModel = vendor.model
    message_id = model.new_message_id()
    message = vendor.services.accept_message(
        id=message_id,
        vendor=VENDOR,
        operation=REPLY_OPERATION,
        account=record.account,
        recipient=record.sender,
        text=answer.reply,
        sender=record.keyword,
        credits=0.0,
        fields={
            "bulkId": record.transaction_id,
            "messageId": message_id,
            "to": record.sender,
            "inbound_id": record.id,
            "TRAN_ID": record.transaction_id,
            "RESULT_CODE": answer.code,
            "two_way_url": record.url,
            "two_way_headers": dict(headers),
        },
    )
    if charging:
        vendor.services.delivery.finish_now(message, FAILED, charging)  # -> on_status: the callback
    return message


def on_status(vendor: Ants, message: Message) -> bool:
    """Whether ``message`` is a 2-way reply (no delivery report); a failed one sends the
    failed-transaction callback to the customer's 2-way URL."""
    if message.operation != REPLY_OPERATION:
        return False
    if message.status != FAILED:
        return True
    f = message.fields
    code = message.final.get("code")
    body = {"ERROR_MESSAGE": str(code) if code not in (None, "") else DEFAULT_ERROR, "TRANSACTION_ID": f["TRAN_ID"]}
    services = vendor.services
    cb = services.callbacks.send(
        vendor=VENDOR,
        url=f["two_way_url"],
        body=compact_json(body),
        headers=f["two_way_headers"],
        message_ids=[message.id],
        note=f"2-way failed transaction of {f['inbound_id']}",
    )
    record = services.store.get_inbound(f["inbound_id"])
    if record is not None:
        record.callbacks += (cb.id,)
        record.fields["error_message"] = body["ERROR_MESSAGE"]
        services.store.inbound_changed(record)
    return True
