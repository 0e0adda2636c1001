"""In-memory state shared by every vendor: the message journal, OTPs, callbacks and requests.

Each journal is bounded (oldest dropped first) so that a long load test cannot exhaust memory.
Vendors keep their own rules and indexes in their models; what a person or a test wants to
inspect lives here, in one vendor-neutral shape.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from sys import intern
from typing import Any, overload

# Lifecycle states; the vendor maps the final ones to its own vocabulary.
ACCEPTED, SCHEDULED, SENT = "accepted", "scheduled", "sent"
DELIVERED, FAILED, EXPIRED, REJECTED = "delivered", "failed", "expired", "rejected"
CANCELLED = "cancelled"  # withdrawn before it was sent (FPT cancel-ads); final, never delivered
PENDING = "pending"  # a scenario may keep a message here forever
FINAL_STATES = frozenset({DELIVERED, FAILED, EXPIRED, REJECTED, CANCELLED})

# Change events (``Store.listeners``): what the web inbox streams to browsers.
MESSAGE_ADDED, MESSAGE_STATUS, OTP_ADDED, CALLBACK_CHANGED, RESET = "message", "status", "otp", "callback", "reset"
INBOUND_CHANGED = "inbound"  # a subscriber's inbound SMS was journaled or its partner answered
MESSAGE_DELETED = "deleted"  # a message was removed by hand (``DELETE /_mock/messages/{id}``)
Listener = Callable[[str, Any], None]

RESPONSE_BODY_LIMIT = 64 * 1024  # a journaled response body is cut here (bounded memory)

RawHeaders = tuple[tuple[bytes, bytes], ...]


# Header blocks seen lately, each kept once: a client sends the same headers again and again
# (only Content-Length moves, among a few values), so a full journal of 100,000 requests holds a
# few distinct blocks instead of 100,000 copies of ~200 bytes (20 MB; ``benchmarks/soak.py``).
# Emptied when it passes HEAD_BLOCKS_KEPT: headers unique per request (a trace id) cost a dict
# insert, never unbounded memory.
HEAD_BLOCKS_KEPT = 4096
_head_blocks: dict[bytes, bytes] = {}


def header_block(raw: RawHeaders) -> bytes:
    """The headers as one ``Name: value`` line each: one object for the journal to keep instead
    of three per header (a tuple and two bytes), a third of the memory; the same object for the
    same headers (see :data:`HEAD_BLOCKS_KEPT`)."""
    block = b"\r\n".join([k + b": " + v for k, v in raw])
    kept = _head_blocks.setdefault(block, block)
    if len(_head_blocks) > HEAD_BLOCKS_KEPT:
        _head_blocks.clear()
    return kept


def _header_dict(block: str) -> dict[str, str]:
    """Headers as the inspection API shows them (the last of repeated names wins)."""
    pairs = (line.partition(": ") for line in block.split("\r\n") if line)
    return {name: value for name, _, value in pairs}


@dataclass(slots=True)
class ResponseRecord:
    """The answer the client got for the request that created a message (a view built on demand)."""

    status: int
    headers: dict[str, str]
    body: str
    truncated: bool = False


class RequestRecord:
    """The exact request a message came from (shared by every message of a bulk request) and
    the answer the client got.

    Kept nearly as it went over the wire (a block of header lines, the body bytes, the answer's
    status, header lines and body) and turned into text only when someone looks (the web inbox,
    ``/_mock/messages/{id}``): little work on the request path, few objects per journaled
    message (memory), and none the cyclic GC has to walk again and again (a tuple of strings and
    bytes is untracked by the collector after its first look).
    """

    __slots__ = ("answer_body", "answer_head", "head", "method", "path", "raw_body", "status")

    def __init__(self, method: str, path: str, head: bytes, raw_body: bytes) -> None:
        self.method = method
        self.path = path
        self.head = head  # the request's headers, ``Name: value`` lines (see header_block)
        self.raw_body = raw_body
        # The answer once the handler gave it: status (None until then), header lines, body.
        self.status: int | None = None
        self.answer_head = ""
        self.answer_body = b""

    @property
    def headers(self) -> dict[str, str]:
        return _header_dict(self.head.decode("utf-8", "surrogateescape"))

    @property
    def body(self) -> str:
        return self.raw_body.decode("utf-8", "replace")

    @property
    def response(self) -> ResponseRecord | None:
        if self.status is None:
            return None
        body = self.answer_body
        return ResponseRecord(
            self.status,
            _header_dict(self.answer_head),
            body[:RESPONSE_BODY_LIMIT].decode("utf-8", "replace"),
            len(body) > RESPONSE_BODY_LIMIT,
        )

    def answered(self, status: int, headers: Any, body: bytes) -> None:
        """Keep the answer (``headers``: the response's header mapping); the body is cut just
        past ``RESPONSE_BODY_LIMIT`` (one byte more tells that it was cut)."""
        if len(body) > RESPONSE_BODY_LIMIT:
            body = body[: RESPONSE_BODY_LIMIT + 1]
        self.status = status
        # Interned: nearly every answer of an operation has the same headers (one string).
        self.answer_head = intern("\r\n".join([f"{k}: {v}" for k, v in headers.items()]))
        self.answer_body = body


# What :class:`Message` takes, in order (a saved world rebuilds messages from these).
MESSAGE_FIELDS = (
    "id", "vendor", "operation", "account", "recipient", "text", "sender", "encoding", "parts", "credits",
    "created_at", "status", "timeline", "callback_url", "callback_method", "callbacks", "fields", "final",
    "request", "seq",
)  # fmt: skip
_NO_VALUES: dict[str, Any] = {}  # what an absent ``fields``/``final`` reads as in ``to_dict``


class _CreatedOnUse:
    """A dict attribute kept in the slot ``slot``, made on first access: the journal's 100,000
    messages mostly never get one (``Message.fields``, ``Message.final``)."""

    def __init__(self, slot: str) -> None:
        self.slot = slot

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _CreatedOnUse: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> dict[str, Any]: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> dict[str, Any] | _CreatedOnUse:
        if obj is None:
            return self
        values = getattr(obj, self.slot)
        if values is None:
            values = {}
            setattr(obj, self.slot, values)
        return values

    def __set__(self, obj: object, values: dict[str, Any]) -> None:
        setattr(obj, self.slot, values)


class Message:
    """One accepted message: what was sent, and where its lifecycle has got to.

    Kept compact because the journal holds up to ``journal_size`` of them (100,000 by default):
    slots, no per-message dict until somebody writes ``fields`` or ``final`` (both are created on
    first access), and no timeline tuples for a message whose lifecycle is *planned*.

    A planned message (:meth:`plan`, the lazy lifecycle of
    :class:`~mockserver.engine.delivery.Delivery`) has its ``sent`` and final steps as two
    instants and a state; its ``status`` and ``timeline`` are read off the clock, so nothing is
    scheduled and nothing runs when the steps come due. Only messages whose steps have no side
    effects are planned (no delivery report, nobody watching the journal): the same answers, for
    a fraction of the work. :meth:`settle` turns the steps that are due into stamps and ends the
    plan, handing back those still to come (a person finishing it by hand, an inbox opening).
    Otherwise ``status`` and ``timeline`` are what :meth:`stamp` wrote.
    """

    __slots__ = (
        "_clock", "_fields", "_final", "_final_after", "_outcome", "_sent_after", "_status", "_timeline",
        "account", "callback_method", "callback_url", "callbacks", "created_at", "credits", "encoding", "id",
        "operation", "parts", "recipient", "request", "sender", "seq", "text", "vendor",
    )  # fmt: skip

    def __init__(
        self,
        id: str,  # the vendor's own message id (refId, message_id, messageId, MessageId, request_id)
        vendor: str,
        operation: str,
        account: str,
        recipient: str,
        text: str,
        sender: str | None,
        encoding: str,
        parts: int,
        credits: float,
        created_at: float,
        status: str = ACCEPTED,
        # Tuples, not lists: the cyclic GC stops walking a tuple of strings and numbers once it
        # has seen it (a list it walks forever). Empty: the one stamp ``(status, created_at)``.
        timeline: tuple[tuple[str, float], ...] = (),
        callback_url: str | None = None,
        callback_method: str | None = None,
        callbacks: tuple[str, ...] = (),  # ids of the delivery reports sent about it
        fields: dict[str, Any] | None = None,  # vendor-specific values
        final: dict[str, Any] | None = None,  # vendor detail of the final state
        request: RequestRecord | None = None,
        seq: int = 0,
    ) -> None:
        self.id = id
        self.vendor = vendor
        self.operation = operation
        self.account = account
        self.recipient = recipient
        self.text = text
        self.sender = sender
        self.encoding = encoding
        self.parts = parts
        self.credits = credits
        self.created_at = created_at
        self._status = status
        self._timeline = timeline
        self.callback_url = callback_url
        self.callback_method = callback_method
        self.callbacks = callbacks
        self._fields = fields or None
        self._final = final or None
        self.request = request
        self.seq = seq
        # The plan (see :meth:`plan`): the clock it reads (None: not planned) and its steps as
        # seconds after ``created_at``, the float objects of the delivery timings, which every
        # planned message shares (two instants would be two new floats per message).
        self._clock: Any = None
        self._sent_after = 0.0
        self._final_after: float | None = None
        self._outcome = ""

    def __repr__(self) -> str:
        return f"Message(id={self.id!r}, vendor={self.vendor!r}, recipient={self.recipient!r}, status={self.status!r})"

    # -- vendor values, created when first used ----------------------------------------------------
    fields = _CreatedOnUse("_fields")  # vendor-specific values
    final = _CreatedOnUse("_final")  # vendor detail of the final state

    # -- the lifecycle -------------------------------------------------------------------------------
    def plan(self, clock: Any, sent_after: float, final_after: float | None, outcome: str) -> None:
        """Let the clock (anything with ``now()``) take the message to ``sent`` ``sent_after``
        seconds after ``created_at`` and to ``outcome`` ``final_after`` seconds after it (None:
        it stays ``sent``), with nothing scheduled."""
        self._clock, self._sent_after, self._final_after, self._outcome = clock, sent_after, final_after, outcome

    @property
    def planned(self) -> bool:
        return self._clock is not None

    def _steps(self) -> tuple[tuple[float, str], ...]:
        """The planned steps as ``(when, status)``, in order."""
        begin, final_after = self.created_at, self._final_after
        sent = (begin + self._sent_after, SENT)
        return (sent,) if final_after is None else (sent, (begin + final_after, self._outcome))

    def _due(self, now: float) -> tuple[tuple[str, float], ...]:
        """The planned steps that are due at ``now``, in order, as timeline stamps."""
        return tuple((status, when) for when, status in self._steps() if now >= when)

    @property
    def status(self) -> str:
        clock = self._clock
        if clock is None:
            return self._status
        # The same sums as the steps' instants (``_steps``), so that status and timeline agree
        # at the very instant a step is due.
        now, begin, final_after = clock.now(), self.created_at, self._final_after
        if final_after is not None and now >= begin + final_after:
            return self._outcome
        return SENT if now >= begin + self._sent_after else self._status

    @property
    def timeline(self) -> tuple[tuple[str, float], ...]:
        stamps = self._timeline or ((self._status, self.created_at),)
        clock = self._clock
        return stamps if clock is None else stamps + self._due(clock.now())

    def stamp(self, status: str, at: float) -> None:
        """Record a step the lifecycle took (a message that is not planned)."""
        self._timeline = (*self.timeline, (status, at))
        self._status = status

    def settle(self) -> tuple[tuple[float, str], ...]:
        """End the plan: the steps due by now become stamps, and those still to come are
        returned as ``(when, status)`` for the caller to schedule (nothing when not planned)."""
        clock = self._clock
        if clock is None:
            return ()
        now = clock.now()
        due = self._due(now)
        if due:
            self._timeline = (self._timeline or ((self._status, self.created_at),)) + due
            self._status = due[-1][0]
        self._clock = None
        return self._steps()[len(due) :]

    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        data = {
            "id": self.id,
            "seq": self.seq,
            "vendor": self.vendor,
            "operation": self.operation,
            "account": self.account,
            "recipient": self.recipient,
            "sender": self.sender,
            "text": self.text,
            "encoding": self.encoding,
            "parts": self.parts,
            "credits": self.credits,
            "created_at": self.created_at,
            "status": self.status,
            "timeline": [{"status": s, "at": t} for s, t in self.timeline],
            "callback_url": self.callback_url,
            "callback_method": self.callback_method,
            "callbacks": list(self.callbacks),
            "fields": self._fields or dict(_NO_VALUES),
            "final": self._final or dict(_NO_VALUES),
        }
        if full and self.request is not None:
            r = self.request
            data["request"] = {"method": r.method, "path": r.path, "headers": r.headers, "body": r.body}
            a = r.response
            if a is not None:
                data["response"] = {"status": a.status, "headers": a.headers, "body": a.body, "truncated": a.truncated}
        return data


@dataclass(slots=True)
class OtpRecord:
    vendor: str
    account: str
    phone: str
    code: str
    ref: str | None
    created_at: float
    expires_at: float | None
    message_id: str | None = None
    verified: bool = False
    attempts: int = 0
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "account": self.account,
            "phone": self.phone,
            "code": self.code,
            "ref": self.ref,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "message_id": self.message_id,
            "verified": self.verified,
            "attempts": self.attempts,
            "fields": self.fields,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OtpRecord:
        """The record :meth:`to_dict` showed (a saved world, ``mockserver import``)."""
        return cls(**data)


# Callback states: every callback is in the journal in one of these, never missing.
CB_PENDING, CB_DELIVERED, CB_GAVE_UP, CB_DROPPED = "pending", "delivered", "gave_up", "dropped"
CB_REFUSED = "refused"  # its destination is one the egress policy refuses (mockserver.engine.egress)
CALLBACK_STATES = (CB_PENDING, CB_DELIVERED, CB_GAVE_UP, CB_DROPPED, CB_REFUSED)


@dataclass(slots=True)
class CallbackAttempt:
    at: float
    status: int | None
    latency_ms: float
    error: str | None
    response_body: str | None = None
    url: str | None = None


@dataclass(slots=True)
class CallbackRecord:
    id: str
    vendor: str
    url: str
    method: str
    headers: dict[str, str]
    body: bytes
    message_ids: list[str]
    created_at: float
    state: str = CB_PENDING  # pending -> delivered | gave_up | refused; or dropped by a scenario rule
    attempts: list[CallbackAttempt] = field(default_factory=list)
    accept: tuple[int, ...] | None = None  # statuses that count as received; None: any 2xx
    ordered: bool = False  # sent one at a time, in order, per destination URL
    note: str | None = None  # why it is special: duplicate, delayed, held back, replay, dropped

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "vendor": self.vendor,
            "url": self.url,
            "method": self.method,
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "message_ids": self.message_ids,
            "created_at": self.created_at,
            "state": self.state,
            "note": self.note,
            "attempts": [
                {
                    "at": a.at,
                    "url": a.url or self.url,
                    "status": a.status,
                    "latency_ms": round(a.latency_ms, 3),
                    "error": a.error,
                    "response_body": a.response_body,
                }
                for a in self.attempts
            ],
        }


# Inbound states (``POST /_mock/inbound``): waiting for the customer's answer, answered within
# the vendor's contract, answered outside it (a contract violation), or never answered (the
# callback dispatcher gave up).
IN_PENDING, IN_ANSWERED, IN_INVALID, IN_UNANSWERED = "pending", "answered", "invalid", "unanswered"
INBOUND_STATES = (IN_PENDING, IN_ANSWERED, IN_INVALID, IN_UNANSWERED)


@dataclass(slots=True)
class InboundRecord:
    """A subscriber's SMS to a customer (SMS 2-way), the request the vendor POSTed about it and
    the customer's answer; the reply SMS the answer asked for is a :class:`Message` of its own
    (``reply_message_id``)."""

    id: str  # "in-1": the journal's id
    vendor: str
    account: str
    sender: str  # the subscriber's number, as the vendor writes it
    keyword: str | None
    text: str
    url: str  # where the vendor POSTed it
    created_at: float
    transaction_id: str | None = None  # the vendor's own id of the transaction (ANTS TRAN_ID)
    status: str = IN_PENDING
    callbacks: tuple[str, ...] = ()  # the callback journal's entries about it (the POST first)
    attempts: int = 0
    last_error: str | None = None  # the last failed attempt: "HTTP 500", "timeout", ...
    answered_at: float | None = None
    answer: dict[str, Any] | None = None  # vendor-neutral view: success, code, name, reply, body
    violation: list[str] | None = None  # how the customer's answer broke the vendor's contract
    reply_message_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # vendor-specific values (options given)
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "vendor": self.vendor,
            "account": self.account,
            "from": self.sender,
            "keyword": self.keyword,
            "text": self.text,
            "url": self.url,
            "created_at": self.created_at,
            "transaction_id": self.transaction_id,
            "status": self.status,
            "callbacks": list(self.callbacks),
            "attempts": self.attempts,
            "last_error": self.last_error,
            "answered_at": self.answered_at,
            "answer": self.answer,
            "violation": self.violation,
            "reply_message_id": self.reply_message_id,
            "fields": self.fields,
        }


@dataclass(slots=True)
class RequestLog:
    at: float
    vendor: str
    operation: str | None
    method: str
    path: str
    status: int
    outcome: str  # "ok", the vendor error's name, or "fault:<kind>"
    latency_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "vendor": self.vendor,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "outcome": self.outcome,
            "latency_ms": round(self.latency_ms, 3),
        }


class Store:
    def __init__(self, journal_size: int = 100_000) -> None:
        self.journal_size = journal_size
        # A plain dict (about half the memory of an OrderedDict per entry) with the arrival order
        # beside it: dropping the oldest from the front of a dict would rescan the slots its
        # earlier deletions left, on every message. ``_order`` may still hold messages deleted
        # by hand (skipped when they come up, compacted when they pile up).
        self.messages: dict[str, Message] = {}
        self._order: deque[Message] = deque()
        self.otps: dict[tuple[str, str], OtpRecord] = {}  # (vendor, phone) -> latest OTP
        self.callbacks: OrderedDict[str, CallbackRecord] = OrderedDict()
        self.requests: deque[RequestLog] = deque(maxlen=journal_size)
        self.inbound: OrderedDict[str, InboundRecord] = OrderedDict()
        self._inbound_seq = 0
        self.dropped_messages = 0
        self.requests_seen = 0  # every vendor request ever journaled (the journal keeps the newest)
        self._seq = 0
        # Called as ``listener(kind, obj)`` on each change (kinds above); nothing is done, not
        # even building an event, while the list is empty. Listeners must be quick and not raise.
        self.listeners: list[Listener] = []
        # Called when a listener is added (:meth:`add_listener`): the delivery lifecycle then
        # schedules the steps it had only planned, so that the listener hears them.
        self.on_listen: Callable[[], Any] | None = None

    def add_listener(self, listener: Listener) -> None:
        self.listeners.append(listener)
        if self.on_listen is not None:
            self.on_listen()

    def remove_listener(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def emit(self, kind: str, obj: Any) -> None:
        """Tell the listeners that ``obj`` changed (also for changes made outside the store,
        such as a callback attempt)."""
        for listener in self.listeners:
            listener(kind, obj)

    def clear(self) -> None:
        self.messages.clear()
        self._order.clear()
        self.otps.clear()
        self.callbacks.clear()
        self.requests.clear()
        self.inbound.clear()
        self._inbound_seq = 0
        self.dropped_messages = 0
        self._seq = 0
        if self.listeners:
            self.emit(RESET, None)

    def counters(self) -> dict[str, int]:
        """The journal's sequence numbers and counts, as a saved world keeps them."""
        return {
            "seq": self._seq,
            "inbound_seq": self._inbound_seq,
            "dropped_messages": self.dropped_messages,
            "requests_seen": self.requests_seen,
        }

    def set_counters(self, counters: dict[str, int]) -> None:
        """Continue the sequences :meth:`counters` saw (a restored world: numbers never repeat)."""
        self._seq = int(counters.get("seq", self._seq))
        self._inbound_seq = int(counters.get("inbound_seq", self._inbound_seq))
        self.dropped_messages = int(counters.get("dropped_messages", self.dropped_messages))
        self.requests_seen = int(counters.get("requests_seen", self.requests_seen))

    # -- messages ----------------------------------------------------------------------------
    def add_message(self, message: Message) -> Message:
        self._seq += 1
        message.seq = self._seq
        self.messages[message.id] = message
        self._order.append(message)
        if len(self.messages) > self.journal_size:
            self._drop_oldest()
            self.dropped_messages += 1
        if self.listeners:
            self.emit(MESSAGE_ADDED, message)
        return message

    def restore_message(self, message: Message) -> None:
        """Put back a message of a saved world (in arrival order, its ``seq`` kept, no event);
        past ``journal_size`` (a smaller cap than last time) the oldest go."""
        self.messages[message.id] = message
        self._order.append(message)
        while len(self.messages) > self.journal_size:
            self._drop_oldest()

    def oldest_message(self) -> Message | None:
        """The first message of the journal in arrival order (None when it is empty)."""
        order, messages = self._order, self.messages
        while order:
            first = order[0]
            if messages.get(first.id) is first:
                return first
            order.popleft()  # deleted by hand, or replaced by a message of the same id
        return None

    def _drop_oldest(self) -> None:
        oldest = self.oldest_message()
        if oldest is not None:
            self._order.popleft()
            del self.messages[oldest.id]

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest message journaled so far (0 after a reset): with counts taken
        now, the inbox knows that an event about a message up to this one is already counted."""
        return self._seq

    def get_message(self, message_id: str) -> Message | None:
        return self.messages.get(message_id)

    def remove_message(self, message_id: str) -> Message | None:
        """Forget one message (``DELETE /_mock/messages/{id}``); None when there is none.

        The same as the journal's bound dropping it, except that it is not counted in
        ``dropped_messages`` (that figure tells a soak run that the cap was reached, and a
        person's delete says nothing about the cap). Nothing else is undone, on purpose: the
        vendor already accepted the message, so its lifecycle runs on and its delivery report
        still reaches the client, and the phone's OTP stays readable at ``/_mock/otp`` (a test
        may still have to finish that flow). Callback records keep naming its id, as they do
        for a message the bound dropped.
        """
        message = self.messages.pop(message_id, None)
        if len(self._order) > 2 * len(self.messages) + 1024:  # many deleted by hand: forget them
            self._order = deque(self.messages.values())
        if message is not None and self.listeners:
            self.emit(MESSAGE_DELETED, message)
        return message

    def find_messages(
        self,
        *,
        vendor: str | None = None,
        phone: str | None = None,
        since: float | None = None,
        status: str | None = None,
        account: str | None = None,
        text: str | None = None,
        limit: int | None = None,
    ) -> list[Message]:
        """Newest first. ``text`` is a case-insensitive substring of the text, sender,
        recipient or id."""
        needle = text.casefold() if text else None
        checks: list[tuple[object, Callable[[Message], bool]]] = [
            (vendor, lambda m: m.vendor == vendor),
            (phone, lambda m: _same_phone(m.recipient, phone or "")),
            (status, lambda m: m.status == status),
            (account, lambda m: m.account == account),
            (needle, lambda m: _mentions(m, needle or "")),
        ]
        return _newest(self.messages, since, limit, checks)

    def set_status(self, message: Message, status: str, at: float) -> None:
        message.stamp(status, at)
        # A message no longer journaled (deleted, or dropped by the bound) still runs its
        # lifecycle, but the inbox must not get it back as a row it cannot open.
        if self.listeners and self.messages.get(message.id) is message:
            self.emit(MESSAGE_STATUS, message)

    # -- OTPs --------------------------------------------------------------------------------
    def add_otp(self, otp: OtpRecord) -> OtpRecord:
        """The phone's latest OTP; past ``journal_size`` phones, the one whose latest OTP is the
        oldest is forgotten (else a server that sees fresh numbers keeps every one of them)."""
        otps = self.otps
        key = (otp.vendor, _digits(otp.phone))
        otps.pop(key, None)  # re-inserted: the dict stays in order of each phone's latest OTP
        otps[key] = otp
        if len(otps) > self.journal_size:
            del otps[next(iter(otps))]
        if self.listeners:
            self.emit(OTP_ADDED, otp)
        return otp

    def adopt_otp(self, data: dict[str, Any]) -> OtpRecord:
        """A vendor's saved OTP as a record: the store's own object when it is the same OTP (the
        vendor and the journal share one record, so that verifying it shows in ``/_mock/otp``),
        brought up to the vendor's saved attempts and verified flag; else a new record."""
        record = OtpRecord.from_dict(data)
        mine = self.otps.get((record.vendor, _digits(record.phone)))
        if mine is not None and (mine.code, mine.created_at, mine.ref) == (record.code, record.created_at, record.ref):
            mine.verified, mine.attempts = record.verified, record.attempts
            return mine
        return record

    def otp_of_message(self, message: Message) -> OtpRecord | None:
        """The OTP a message carried, while it is still the latest one for its phone."""
        for (vendor, _), otp in self.otps.items():
            if vendor == message.vendor and otp.message_id == message.id:
                return otp
        return None

    def latest_otp(self, vendor: str | None, phone: str) -> OtpRecord | None:
        wanted = _digits(phone)
        best: OtpRecord | None = None
        for (v, p), otp in self.otps.items():
            if (
                (vendor is None or v == vendor)
                and _same_digits(p, wanted)
                and (best is None or otp.created_at >= best.created_at)
            ):
                best = otp
        return best

    # -- callbacks ---------------------------------------------------------------------------
    def add_callback(self, record: CallbackRecord) -> CallbackRecord:
        """Journal a callback; past ``journal_size`` the oldest *finished* one is dropped
        (a pending callback is never dropped from the journal)."""
        callbacks = self.callbacks
        callbacks[record.id] = record
        if len(callbacks) > self.journal_size:
            for _ in range(len(callbacks)):
                oldest_id, oldest = callbacks.popitem(last=False)
                if oldest.state != CB_PENDING:
                    break
                callbacks[oldest_id] = oldest  # still pending: keep it (moved to the end)
        if self.listeners:
            self.emit(CALLBACK_CHANGED, record)
        return record

    def iter_callbacks(self) -> Iterator[CallbackRecord]:
        return reversed(self.callbacks.values())

    # -- inbound (SMS 2-way) -------------------------------------------------------------------
    def next_inbound_id(self) -> tuple[int, str]:
        """(seq, id) for the next inbound message: ``in-1``, ``in-2``... (restarting at a reset)."""
        self._inbound_seq += 1
        return self._inbound_seq, f"in-{self._inbound_seq}"

    def add_inbound(self, record: InboundRecord) -> InboundRecord:
        """Journal an inbound message; past ``journal_size`` the oldest is forgotten."""
        self.inbound[record.id] = record
        if len(self.inbound) > self.journal_size:
            self.inbound.popitem(last=False)
        self.inbound_changed(record)
        return record

    def inbound_changed(self, record: InboundRecord) -> None:
        if self.listeners:
            self.emit(INBOUND_CHANGED, record)

    def get_inbound(self, inbound_id: str) -> InboundRecord | None:
        return self.inbound.get(inbound_id)

    def find_inbound(
        self,
        *,
        vendor: str | None = None,
        phone: str | None = None,
        since: float | None = None,
        status: str | None = None,
        account: str | None = None,
        keyword: str | None = None,
        text: str | None = None,
        limit: int | None = None,
    ) -> list[InboundRecord]:
        """Newest first, filtered as :meth:`find_messages` filters (``phone`` is the subscriber's
        number in any form; ``keyword`` is case-insensitive; ``text`` a substring of the text,
        keyword, number or id)."""
        needle = text.casefold() if text else None
        wanted = keyword.casefold() if keyword else None
        checks: list[tuple[object, Callable[[InboundRecord], bool]]] = [
            (vendor, lambda r: r.vendor == vendor),
            (phone, lambda r: _same_phone(r.sender, phone or "")),
            (status, lambda r: r.status == status),
            (account, lambda r: r.account == account),
            (wanted, lambda r: (r.keyword or "").casefold() == wanted),
            (needle, lambda r: any((needle or "") in v.casefold() for v in (r.text, r.keyword or "", r.sender, r.id))),
        ]
        return _newest(self.inbound, since, limit, checks)

    def log_request(self, entry: RequestLog) -> None:
        self.requests.append(entry)
        self.requests_seen += 1


def _mentions(message: Message, needle: str) -> bool:
    return any(
        needle in value.casefold() for value in (message.text, message.sender or "", message.recipient, message.id)
    )


def _digits(phone: str) -> str:
    """The phone's digits; the phone itself when it is nothing else (the usual case: the OTP
    table's key then shares the record's string instead of a copy per phone)."""
    return phone if phone.isdigit() else "".join(ch for ch in phone if ch.isdigit())


def _same_digits(a: str, b: str) -> bool:
    """Phone numbers compare equal in national or international form (0812..., 66812...)."""
    if a == b:
        return True
    return a.lstrip("0")[-9:] == b.lstrip("0")[-9:] and min(len(a), len(b)) >= 9


def _same_phone(recipient: str, phone: str) -> bool:
    return _same_digits(_digits(recipient), _digits(phone))


def _newest(journal: dict[str, Any], since: float | None, limit: int | None, checks: list) -> list:
    """The entries of an arrival-ordered journal, newest first, that pass every check whose
    value was given (``(value, test)`` pairs; a None value is no filter), stopping at ``since``
    and at ``limit``: the one filter loop of every ``find_*`` listing."""
    tests = [test for value, test in checks if value is not None]
    found = []
    for entry in reversed(journal.values()):
        if since is not None and entry.created_at < since:
            break  # the journal is in arrival order
        if all(test(entry) for test in tests):
            found.append(entry)
            if limit is not None and len(found) >= limit:
                break
    return found
