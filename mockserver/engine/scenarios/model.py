"""The scenario rule model: compiled rules, what they match, and what they answer.

A rule is built once from a checked spec (see :mod:`.validation`); matching a request or a
message against it costs a few set and regex tests. The exceptions :class:`Answer` and
:class:`Fault` are what the HTTP layer raises to replace a vendor's answer; the engine hands them
back in a :class:`Decision` instead of raising them itself.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.clock import parse_duration
from mockserver.core.errors import ErrorRow

if TYPE_CHECKING:
    from mockserver.core.randomness import Randomness
    from mockserver.engine.interfaces import EngineVendor

FAULT_KINDS = ("connection_reset", "empty_response", "malformed_response", "timeout", "slow_body")
ERROR_KINDS = E.GENERIC_KINDS + E.OPTIONAL_KINDS  # the ``@kind`` references
REQUEST_ACTIONS = ("respond", "sequence", "delay", "rate_limit")
ACTIONS = (*REQUEST_ACTIONS, "delivery", "callback")
DEFAULT_GARBAGE = b"\x00\x17\xfe\xffNOT-HTTP \x80garbage\r\n\r\n"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; ``problems`` are ``file:line:col: rule NAME: message``."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class Answer(Exception):
    """A scenario's raw response, returned instead of the vendor's."""

    def __init__(self, response: web.StreamResponse, outcome: str = "scenario") -> None:
        super().__init__(outcome)
        self.response = response
        self.outcome = outcome


class Fault(Exception):
    """A network fault the vendor middleware performs on the connection (``mockserver.http.faults``)."""

    def __init__(self, kind: str, *, after: float | None = None, body: bytes = DEFAULT_GARBAGE, rule: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.after = after
        self.body = body
        self.rule = rule


@dataclass(frozen=True, slots=True)
class SlowBody:
    duration: float  # seconds over which the body is written
    chunks: int


# -- distributions ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Delay:
    """``fixed`` seconds, ``uniform`` between two bounds, or ``lognormal`` around a median."""

    kind: str
    a: float
    b: float = 0.0
    cap: float | None = None

    def sample(self, rng: Randomness) -> float:
        if self.kind == "fixed":
            return self.a
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        value = self.a * math.exp(self.b * rng.random.gauss(0.0, 1.0))
        return min(value, self.cap) if self.cap is not None else value

    @classmethod
    def parse(cls, spec: Any) -> Delay:
        if not isinstance(spec, Mapping):
            return cls("fixed", parse_duration(spec))
        if "uniform" in spec:
            return cls("uniform", parse_duration(spec["uniform"]["min"]), parse_duration(spec["uniform"]["max"]))
        if "lognormal" in spec:
            ln = spec["lognormal"]
            cap = parse_duration(ln["max"]) if "max" in ln else None
            return cls("lognormal", parse_duration(ln["median"]), float(ln["sigma"]), cap)
        return cls("fixed", parse_duration(spec.get("fixed", 0)))


# -- responses -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Response:
    """One ``respond`` (or one step of a ``sequence``), compiled."""

    error: str | None = None  # row name, code, or "@kind"
    detail: str | None = None
    status: int | None = None
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    fault: str | None = None
    fault_after: float | None = None
    garbage: bytes = DEFAULT_GARBAGE
    slow: SlowBody | None = None

    @classmethod
    def parse(cls, spec: Mapping[str, Any]) -> Response:
        fault = spec.get("fault")
        kind, after, garbage, slow = None, None, DEFAULT_GARBAGE, None
        if fault is not None:
            fspec = {"kind": fault} if isinstance(fault, str) else fault
            kind = fspec["kind"]
            if "after" in fspec:
                after = parse_duration(fspec["after"])
            if "body" in fspec:
                garbage = str(fspec["body"]).encode()
            if kind == "slow_body":
                slow = SlowBody(parse_duration(fspec.get("duration", "1s")), int(fspec.get("chunks", 10)))
                kind = None
        headers = dict(spec.get("headers") or {})
        body = spec.get("body")
        if isinstance(body, (dict, list)):
            data = json.dumps(body, ensure_ascii=False).encode()
            if not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "application/json; charset=utf-8"
        elif body is None:
            data = b""
        else:
            data = str(body).encode()
            if data and not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "text/plain; charset=utf-8"
        error = spec.get("error")
        return cls(
            error=str(error) if error is not None else None,
            detail=spec.get("detail"),
            status=spec.get("status"),
            body=data,
            headers=tuple(headers.items()),
            fault=kind,
            fault_after=after,
            garbage=garbage,
            slow=slow,
        )


@dataclass(frozen=True, slots=True)
class RateLimit:
    rps: float
    burst: float
    per_account: bool
    response: Response


@dataclass(slots=True)
class DeliveryPlan:
    status: str
    after: float | None = None
    code: str | int | None = None


@dataclass(slots=True)
class CallbackPlan:
    delay: float = 0.0  # extra seconds before the first attempt
    duplicate: int = 0  # extra copies sent
    drop: bool = False  # never sent (journaled as dropped)
    reorder: bool = False  # held back so that a later report overtakes it


@dataclass(frozen=True, slots=True)
class Facts:
    """What a rule's ``match`` can test about a request (or a message): the handler gives them
    to ``Call.consult`` once the request is parsed and authenticated."""

    vendor: str
    operation: str
    account: str | None = None
    recipients: tuple[str, ...] = ()
    text: str | None = None
    sender: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What a request-level rule decided, for the HTTP layer to carry out: dribble the answer
    (``slow``), and/or answer with ``interrupt`` (a :class:`VendorError`, :class:`Answer` or
    :class:`Fault`, raised by ``Call.consult``) instead of the vendor's own answer."""

    slow: SlowBody | None = None
    interrupt: Exception | None = None


# -- phone numbers ---------------------------------------------------------------------------
_NON_DIGITS = re.compile(r"\D")


def phone_key(number: str) -> str:
    """The number without formatting, ``+``, country code (66, 84) or trunk ``0``: ``0812345678``,
    ``+66 81 234 5678`` and ``66812345678`` are the same recipient."""
    digits = number if number.isdigit() else _NON_DIGITS.sub("", number)
    if digits.startswith("0"):
        return digits[1:]
    if len(digits) >= 11 and digits[:2] in ("66", "84"):
        return digits[2:]
    return digits or number


def as_set(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(str(v) for v in ([value] if isinstance(value, (str, int)) else value))


# -- rules -----------------------------------------------------------------------------------
@dataclass(slots=True, eq=False)
class Rule:
    id: str
    name: str
    spec: Mapping[str, Any]
    source: str
    vendors: frozenset[str] | None
    operations: frozenset[str] | None
    accounts: frozenset[str] | None
    recipients: frozenset[str] | None  # phone keys
    recipient_regex: re.Pattern[str] | None
    text: re.Pattern[str] | None
    senders: frozenset[str] | None
    headers: tuple[tuple[str, str], ...]
    probability: float | None
    after: int
    times: int | None
    delay: Delay | None
    responses: tuple[Response, ...]
    cycle: bool
    delivery: Mapping[str, Any] | None
    delivery_after: Delay | None
    callback: Mapping[str, Any] | None
    callback_delay: Delay | None
    rate: RateLimit | None
    buckets: dict[tuple[str, ...], list[float]] = field(default_factory=dict)
    matches: int = 0  # how often the match part matched
    hits: int = 0  # how often the rule applied (for rate limits: how often it refused)

    @classmethod
    def build(cls, rule_id: str, spec: Mapping[str, Any], source: str = "") -> Rule:
        m = spec.get("match") or {}
        responses: tuple[Response, ...] = ()
        if "respond" in spec:
            responses = (Response.parse(spec["respond"]),)
        elif "sequence" in spec:
            responses = tuple(Response.parse(step) for step in spec["sequence"])
        rate = None
        if "rate_limit" in spec:
            rl = spec["rate_limit"]
            rate = RateLimit(
                rps=float(rl["rps"]),
                burst=float(rl.get("burst", max(1, math.ceil(rl["rps"])))),
                per_account=rl.get("per", "account") == "account",
                response=Response.parse(rl.get("respond") or {"error": "@" + E.RATE_LIMITED}),
            )
        delivery = spec.get("delivery")
        callback = spec.get("callback")
        recipients = as_set(m.get("recipient"))
        return cls(
            id=rule_id,
            name=str(spec.get("name", rule_id)),
            spec=spec,
            source=source,
            vendors=as_set(m.get("vendor")),
            operations=as_set(m.get("operation")),
            accounts=as_set(m.get("account")),
            recipients=frozenset(phone_key(r) for r in recipients) if recipients is not None else None,
            recipient_regex=re.compile(m["recipient_regex"]) if "recipient_regex" in m else None,
            text=re.compile(m["text"], re.S) if "text" in m else None,
            senders=as_set(m.get("sender")),
            headers=tuple((k, v) for k, v in (m.get("header") or {}).items()),
            probability=spec.get("probability"),
            after=spec.get("after", 0),
            times=spec.get("times"),
            delay=Delay.parse(spec["delay"]) if "delay" in spec else None,
            responses=responses,
            cycle=bool(spec.get("cycle", False)),
            delivery=delivery,
            delivery_after=Delay.parse(delivery["after"]) if delivery and "after" in delivery else None,
            callback=callback,
            callback_delay=Delay.parse(callback["delay"]) if callback and "delay" in callback else None,
            rate=rate,
        )

    @property
    def request_level(self) -> bool:
        return bool(self.responses) or self.delay is not None or self.rate is not None

    def matches_facts(self, facts: Facts, keys: frozenset[str] | None, headers: Mapping[str, str] | None) -> bool:
        """Whether every ``match`` key holds; ``keys`` are the recipients' :func:`phone_key`."""
        if self.accounts is not None and str(facts.account) not in self.accounts:
            return False
        if self.recipients is not None and (keys is None or self.recipients.isdisjoint(keys)):
            return False
        if self.recipient_regex is not None:
            found = self.recipient_regex.fullmatch
            if not any(found(r) for r in facts.recipients):
                return False
        if self.text is not None and not (facts.text is not None and self.text.search(facts.text)):
            return False
        if self.senders is not None and facts.sender not in self.senders:
            return False
        if self.headers:
            if headers is None:
                return False
            for key, value in self.headers:
                if headers.get(key) != value:
                    return False
        return True

    def fires(self, rng: Randomness) -> bool:
        """Count a match and say whether the rule applies this time (after/times/probability)."""
        self.matches += 1
        if self.matches <= self.after:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.probability is not None and not rng.chance(self.probability):
            return False
        self.hits += 1
        return True

    def next_response(self) -> Response | None:
        """The response of this hit: the only one, or the sequence's next step."""
        responses = self.responses
        if not responses:
            return None
        if len(responses) == 1:
            return responses[0]
        index = self.hits - 1
        return responses[index % len(responses)] if self.cycle else responses[min(index, len(responses) - 1)]

    def take_token(self, key: tuple[str, ...], now: float) -> bool:
        """Token bucket: ``rps`` tokens a second, at most ``burst`` saved up."""
        rate = self.rate
        assert rate is not None
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = [rate.burst, now]
        else:
            bucket[0] = min(rate.burst, bucket[0] + max(0.0, now - bucket[1]) * rate.rps)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return True
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "hits": self.hits,
            "matches": self.matches,
            **dict(self.spec),
        }


@dataclass(frozen=True, slots=True)
class Candidates:
    """The rules that can concern one (vendor, operation) at one moment, in order."""

    rules: tuple[Rule, ...]
    needs_keys: bool  # some rule matches exact recipients
    gate: frozenset[str] | None  # every rule needs one of these recipients: skip at once if none


NO_RULES = Candidates((), False, None)


# -- error references ------------------------------------------------------------------------
def resolve_error(vendor: EngineVendor, ref: str) -> ErrorRow | None:
    """The row a scenario ``error:`` names for ``vendor``: a name, a code, or ``@kind`` (the
    vendor's generic row of that kind, with the fallbacks described in ``mockserver.core.errors``)."""
    if not ref.startswith("@"):
        return vendor.errors.find(ref)
    kind = ref[1:]
    if kind not in ERROR_KINDS:
        return None
    name = vendor.generic_errors.get(kind)
    if name is not None and name in vendor.errors:
        return vendor.errors[name]
    if kind == E.RATE_LIMITED:
        return next((r for r in vendor.errors if r.status == 429), _TOO_MANY_REQUESTS)
    if kind == E.UNAVAILABLE:
        found = next((r for r in vendor.errors if r.status == 503), None)
        return found or vendor.errors[vendor.generic_errors[E.INTERNAL]]
    return None


# Used, in the vendor's own error shape, by vendors with no rate-limit row of their own.
_TOO_MANY_REQUESTS = ErrorRow("RATE_LIMITED", 429, "Too many requests", concerns="system", documented=False)
