"""``/_mock/inbound``: simulate a subscriber's SMS to a customer (SMS 2-way) and journal it.

==============================  ==============================================================
``POST /_mock/inbound``         ``{"vendor", "from", "text", "keyword"?, "account"?, "url"?,
                                "wait"?, ...vendor options}``: the vendor builds its inbound
                                request (:meth:`Vendor.inbound <mockserver.http.vendor.Vendor.inbound>`),
                                the callback dispatcher POSTs it to the customer (retries, journal,
                                allow-list) and the answer is read by the vendor and journaled
``GET /_mock/inbound``          the inbound journal, newest first; filters ``vendor``, ``phone``
                                (or ``from``: the subscriber's number in any form), ``status``,
                                ``account``, ``keyword``, ``q`` (text, keyword, number, id),
                                ``since``, ``limit``
``GET /_mock/inbound/{id}``     one inbound message, with its reply SMS (``reply``) when the
                                customer asked for one
==============================  ==============================================================

Decisions where the issue is silent:

* The answer to ``POST`` waits for the first attempt of the delivery, at most ``wait`` seconds
  (default: the callbacks' own ``timeout`` plus one second; ``0`` answers at once). It is 200
  with the record once the first attempt is over (answered, refused or unreachable: the record
  says which), 202 with the record still ``pending`` when ``wait`` ran out first. Later attempts
  (retries) update the record; ``GET /_mock/inbound/{id}`` shows them.
* States: ``pending`` (no received answer yet), ``answered`` (the answer fits the vendor's
  contract), ``invalid`` (received, but it breaks the contract: ``violation`` lists how; no
  reply SMS is sent), ``unanswered`` (the dispatcher gave up: ``last_error`` says why).
* Only a received answer (2xx) is read; any other status, a timeout or a refused connection is
  retried by the dispatcher like a delivery report.
* A vendor without an inbound API, an unknown vendor or none given is a 400 that names the
  vendors that have one (found from the mounted vendors, never a fixed list).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.core.store import (
    CB_DELIVERED,
    CB_GAVE_UP,
    IN_ANSWERED,
    IN_INVALID,
    IN_UNANSWERED,
    INBOUND_STATES,
    CallbackAttempt,
    CallbackRecord,
    InboundRecord,
)
from mockserver.http.vendor import InboundAnswer, InboundPlan, InboundRefused, InboundRequest, json_response
from mockserver.inspection.admin import _float, _int, _json_body

if TYPE_CHECKING:
    from mockserver.engine.services import Services

log = logging.getLogger("mockserver.inbound")

CORE_FIELDS = frozenset({"vendor", "from", "text", "keyword", "account", "url", "wait"})
MAX_WAIT = 120.0  # seconds a POST may ask to wait for the customer's first answer
MAX_TEXT = 1600  # characters of an inbound SMS (the longest concatenated SMS the vendors take)


def _error(status: int, message: str) -> web.Response:
    return json_response({"error": message}, status=status)


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    """An optional non-empty string field (a number is taken as its text: phone numbers)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return value.strip()


def register(app: web.Application, services: Services) -> None:
    """Add ``/inbound`` to the ``/_mock`` application."""
    store = services.store

    def with_inbound() -> list[str]:
        return sorted(name for name, vendor in services.vendors.items() if vendor.has_inbound)

    def refuse_vendor(reason: str) -> web.Response:
        names = with_inbound()
        offer = f"vendors with an inbound API: {', '.join(names)}" if names else "no mounted vendor has an inbound API"
        return _error(400, f"{reason}; {offer}")

    def on_answer(
        record: InboundRecord,
        plan: InboundPlan,
        first: asyncio.Event,
        cb: CallbackRecord,
        attempt: CallbackAttempt,
        raw: bytes,
    ) -> None:
        """One attempt of the inbound POST is over: read a received answer, note a failure."""
        record.attempts += 1
        if cb.state == CB_DELIVERED:
            status = attempt.status if attempt.status is not None else 200
            try:
                answer = plan.parse(status, raw)
            except Exception:  # the vendor's bug: the customer's answer is journaled, not lost
                log.exception("%s: reading the answer to %s failed", record.vendor, record.id)
                answer = InboundAnswer(False, body=raw.decode("utf-8", "replace"), problems=("unreadable answer",))
            record.answered_at = services.clock.now()
            record.answer = answer.to_dict()
            record.last_error = None
            if answer.problems:
                record.status = IN_INVALID
                record.violation = list(answer.problems)
            else:
                record.status = IN_ANSWERED
                if plan.answered is not None:
                    reply = plan.answered(record, answer)
                    if reply is not None:
                        record.reply_message_id = reply.id
        else:
            record.last_error = attempt.error or f"HTTP {attempt.status}"
            if cb.state == CB_GAVE_UP:
                record.status = IN_UNANSWERED
        store.inbound_changed(record)
        first.set()

    async def post(request: web.Request) -> web.Response:
        body = await _json_body(request)
        name = body.get("vendor")
        if not isinstance(name, str) or not name:
            return refuse_vendor("vendor is required")
        vendor = services.vendors.get(name)
        if vendor is None:
            return refuse_vendor(f"unknown vendor {name!r}")
        if not vendor.has_inbound:
            return refuse_vendor(f"{vendor.title} ({name}) publishes no inbound API")
        try:
            sender = _optional_text(body, "from")
            if sender is None:
                raise ValueError("from (the subscriber's number) is required")
            text = body.get("text")
            if not isinstance(text, str) or not text:
                raise ValueError("text (the subscriber's SMS) is required")
            if len(text) > MAX_TEXT:
                raise ValueError(f"text must be at most {MAX_TEXT} characters")
            keyword, account, url = (_optional_text(body, k) for k in ("keyword", "account", "url"))
            wait = body.get("wait", services.callbacks.settings.timeout + 1)
            if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 <= wait <= MAX_WAIT:
                raise ValueError(f"wait must be a number of seconds from 0 to {MAX_WAIT:g}")
            options = {k: v for k, v in body.items() if k not in CORE_FIELDS}
            plan = vendor.inbound(InboundRequest(sender, text, keyword, account, url, options))
        except (ValueError, InboundRefused) as exc:  # InboundRefused is a ValueError too
            return _error(400, str(exc))
        if not services.callbacks.url_allowed(plan.url):
            return _error(400, f"url {plan.url!r} is not an allowed callback URL (http(s); callbacks.allowed_hosts)")
        seq, inbound_id = store.next_inbound_id()
        record = InboundRecord(
            id=inbound_id,
            vendor=name,
            account=plan.account,
            sender=plan.sender,
            keyword=plan.keyword,
            text=text,
            url=plan.url,
            created_at=services.clock.now(),
            transaction_id=plan.transaction_id,
            fields=dict(plan.fields),
            seq=seq,
        )
        store.add_inbound(record)
        first = asyncio.Event()
        cb = services.callbacks.send(
            vendor=name,
            url=plan.url,
            body=plan.body,
            headers=plan.headers,
            consult=False,
            note=f"inbound SMS {record.id}",
            on_answer=partial(on_answer, record, plan, first),
        )
        record.callbacks += (cb.id,)
        if wait > 0:
            with contextlib.suppress(TimeoutError):  # 202: still pending, the record says so
                await asyncio.wait_for(first.wait(), wait)
        return json_response(record.to_dict(), status=200 if record.attempts else 202)

    async def listing(request: web.Request) -> web.Response:
        q = request.query
        status = q.get("status") or None
        if status is not None and status not in INBOUND_STATES:
            return _error(400, f"status must be one of {list(INBOUND_STATES)}")
        found = store.find_inbound(
            vendor=q.get("vendor") or None,
            phone=q.get("phone") or q.get("from") or None,
            since=_float(q.get("since"), "since"),
            status=status,
            account=q.get("account") or None,
            keyword=q.get("keyword") or None,
            text=q.get("q") or None,
            limit=_int(q.get("limit"), "limit", 1000),
        )
        return json_response(
            {
                "inbound": [r.to_dict() for r in found],
                "count": len(found),
                "total": len(store.inbound),
                "vendors": with_inbound(),
            }
        )

    async def one(request: web.Request) -> web.Response:
        record = store.get_inbound(request.match_info["id"])
        if record is None:
            return _error(404, "no such inbound message")
        data = record.to_dict()
        reply = store.get_message(record.reply_message_id) if record.reply_message_id else None
        data["reply"] = reply.to_dict() if reply is not None else None
        return json_response(data)

    app.router.add_post("/inbound", post)
    app.router.add_get("/inbound", listing)
    app.router.add_get("/inbound/{id}", one)
