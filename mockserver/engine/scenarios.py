"""The scenario engine: YAML rules that decide errors, faults, delays, rate limits and outcomes.

Three moments ask it what to do, each with the rules that concern it:

* every vendor request, once parsed and authenticated (:meth:`ScenarioEngine.apply`, through
  ``Call.consult``): ``respond`` / ``sequence`` (a vendor error, a raw answer or a network fault),
  ``delay`` and ``rate_limit``;
* every accepted message (:meth:`ScenarioEngine.delivery_for`, from the delivery lifecycle):
  ``delivery`` (outcome and timing);
* every delivery report (:meth:`ScenarioEngine.callback_for`, from the callback dispatcher):
  ``callback`` (delay, duplicate, drop, reorder).

At each moment the rules are tried in order and the first that matches and fires decides; a
``rate_limit`` rule only decides when the limit is exceeded. A rule fires unless ``after``,
``times`` or ``probability`` (drawn from ``services.rng``, so repeatable with ``--seed``) say no.

A scenario document is checked as a whole, first against ``schemas/scenario.schema.json`` and
then against the mounted vendors (their operations and error tables), before any of it is used,
so a bad file never half-loads. ``magic_recipients: true`` and ``error_header: NAME`` expand, at
load time, into rules for every vendor that ``mockserver.vendors.discover()`` found, through the
:class:`~mockserver.http.vendor.Vendor` interface only, so vendors added later are covered unchanged.

Speed: the rules that can concern a (vendor, operation) are computed once per rule set and cached;
a request with no candidate rule costs one dict look-up, and a candidate list made only of exact
recipient rules (the magic numbers) is skipped with one set intersection.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.clock import parse_duration
from mockserver.core.errors import ErrorRow, VendorError
from mockserver.core.store import EXPIRED, FAILED, PENDING, REJECTED
from mockserver.core.yamlfile import Located, YamlSyntaxError, format_path
from mockserver.core.yamlfile import load as load_yaml
from mockserver.core.yamlfile import loads as loads_yaml

if TYPE_CHECKING:
    from mockserver.core.clock import Clock
    from mockserver.core.randomness import Randomness
    from mockserver.core.store import Message
    from mockserver.http.vendor import Call, Vendor

SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "scenario.schema.json"

FAULT_KINDS = ("connection_reset", "empty_response", "malformed_response", "timeout", "slow_body")
ERROR_KINDS = E.GENERIC_KINDS + E.OPTIONAL_KINDS  # the ``@kind`` references
REQUEST_ACTIONS = ("respond", "sequence", "delay", "rate_limit")
ACTIONS = REQUEST_ACTIONS + ("delivery", "callback")
DEFAULT_GARBAGE = b"\x00\x17\xfe\xffNOT-HTTP \x80garbage\r\n\r\n"

# Magic recipient numbers: ``sample_recipient(n)`` with n = MAGIC_ERROR_BASE + the row's index
# among the vendor's "recipient"/"send" rows, and these fixed n for delivery outcomes.
MAGIC_ERROR_BASE = 1
MAGIC_DELIVERY = ((900, FAILED), (901, EXPIRED), (902, PENDING), (903, REJECTED))
MAGIC_CONCERNS = ("recipient", "send")


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


def _as_set(value: Any) -> frozenset[str] | None:
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
        recipients = _as_set(m.get("recipient"))
        return cls(
            id=rule_id,
            name=str(spec.get("name", rule_id)),
            spec=spec,
            source=source,
            vendors=_as_set(m.get("vendor")),
            operations=_as_set(m.get("operation")),
            accounts=_as_set(m.get("account")),
            recipients=frozenset(phone_key(r) for r in recipients) if recipients is not None else None,
            recipient_regex=re.compile(m["recipient_regex"]) if "recipient_regex" in m else None,
            text=re.compile(m["text"], re.S) if "text" in m else None,
            senders=_as_set(m.get("sender")),
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

    def matches_facts(
        self, facts: Mapping[str, Any], keys: frozenset[str] | None, headers: Mapping[str, str] | None
    ) -> bool:
        """Whether every ``match`` key holds; ``keys`` are the recipients' :func:`phone_key`."""
        if self.accounts is not None and str(facts.get("account")) not in self.accounts:
            return False
        if self.recipients is not None and (keys is None or self.recipients.isdisjoint(keys)):
            return False
        if self.recipient_regex is not None:
            found = self.recipient_regex.fullmatch
            if not any(found(r) for r in facts.get("recipients") or ()):
                return False
        if self.text is not None and not (facts.get("text") is not None and self.text.search(facts["text"])):
            return False
        if self.senders is not None and facts.get("sender") not in self.senders:
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


_NO_RULES = Candidates((), False, None)


@dataclass(slots=True)
class _RequestState:
    """What the request being handled knows, for the delivery decisions of its messages."""

    headers: Mapping[str, str]
    decided: dict[str, bool]


# The current request (set by ``apply`` when some delivery/callback rule needs it; the vendor
# middleware clears it, since keep-alive requests share one task).
CURRENT: ContextVar[_RequestState | None] = ContextVar("mockserver_scenario_request", default=None)


# -- validation ------------------------------------------------------------------------------
@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _type_mismatch(error: Any) -> bool:
    """An error that only says "this branch wants another type" (not worth showing)."""
    if error.relative_path:
        return False
    if error.validator == "type":
        return True
    if error.validator in ("oneOf", "anyOf") and error.context:
        return all(_type_mismatch(e) for e in error.context if not e.relative_path)
    return False


def _schema_message(error: Any) -> tuple[tuple, str]:
    """A readable message and the path it is about (the offending key for unknown keys)."""
    from jsonschema.exceptions import best_match

    while error.validator in ("oneOf", "anyOf") and error.context:
        relevant = [e for e in error.context if not _type_mismatch(e)]
        if not relevant:
            break
        error = best_match(relevant)
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known]
        if extra:
            allowed = ", ".join(sorted(known))
            return path + (extra[0],), f"unknown key {extra[0]!r} (allowed: {allowed})"
    if (
        error.validator in ("minProperties", "maxProperties")
        and isinstance(error.instance, dict)
        and "properties" in error.schema
    ):
        return (
            path,
            f"give exactly one of {', '.join(error.schema['properties'])}"
            if error.validator == "maxProperties"
            else f"give one of {', '.join(error.schema['properties'])}",
        )
    return path, error.message


def _rule_label(data: Any, path: tuple) -> str:
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        try:
            name = data["rules"][path[1]].get("name")
        except (AttributeError, IndexError, KeyError, TypeError):
            name = None
        return f"rule {name or '#' + str(path[1] + 1)}: "
    return ""


def _operations(vendor: Vendor) -> tuple[str, ...]:
    return tuple(op.name for mount in vendor.mounts() for op in mount.operations)


def resolve_error(vendor: Vendor, ref: str) -> ErrorRow | None:
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


def _check_response(spec: Mapping[str, Any], where: tuple) -> list[tuple[tuple, str]]:
    out = []
    fault = spec.get("fault")
    kind = fault if isinstance(fault, str) else (fault or {}).get("kind")
    answers = [k for k in ("error", "status", "pass") if k in spec]
    if len(answers) > 1:
        out.append((where, f"respond with only one of error, status, pass (got {', '.join(answers)})"))
    if kind is not None and kind != "slow_body" and (answers or "body" in spec or "headers" in spec):
        out.append(
            (where + ("fault",), f"fault {kind} sends no HTTP answer: drop {', '.join(answers) or 'body/headers'}")
        )
    if ("body" in spec or "headers" in spec) and "status" not in spec and kind is None:
        out.append((where, "body and headers need a status"))
    if "detail" in spec and "error" not in spec:
        out.append((where + ("detail",), "detail goes with error"))
    if isinstance(fault, Mapping):
        if "after" in fault and kind != "timeout":
            out.append((where + ("fault", "after"), "after is for the timeout fault"))
        if ("duration" in fault or "chunks" in fault) and kind != "slow_body":
            out.append((where + ("fault",), "duration and chunks are for the slow_body fault"))
        if "body" in fault and kind != "malformed_response":
            out.append((where + ("fault", "body"), "body is for the malformed_response fault"))
    return out


def _check_delay(spec: Any, where: tuple) -> list[tuple[tuple, str]]:
    if not isinstance(spec, Mapping):
        return []
    if "uniform" in spec and parse_duration(spec["uniform"]["min"]) > parse_duration(spec["uniform"]["max"]):
        return [(where + ("uniform",), "uniform min is above max")]
    if "lognormal" in spec and parse_duration(spec["lognormal"]["median"]) <= 0:
        return [(where + ("lognormal", "median"), "lognormal median must be above 0")]
    return []


def _check_rule(rule: Mapping[str, Any], where: tuple, vendors: Mapping[str, Vendor] | None) -> tuple[list, list]:
    """Problems (and warnings) a schema cannot see: exclusive keys, empty rules, and names
    that no mounted vendor knows."""
    problems: list[tuple[tuple, str]] = []
    warnings: list[tuple[tuple, str]] = []
    present = [k for k in ACTIONS if k in rule]
    if not present:
        problems.append((where, f"the rule does nothing: give one of {', '.join(ACTIONS)}"))
    if "respond" in rule and "sequence" in rule:
        problems.append((where + ("sequence",), "respond and sequence are exclusive"))
    if "rate_limit" in rule and ("respond" in rule or "sequence" in rule):
        problems.append((where + ("rate_limit",), "rate_limit answers with its own respond: drop respond/sequence"))
    if "cycle" in rule and "sequence" not in rule:
        problems.append((where + ("cycle",), "cycle goes with sequence"))
    responses: list[tuple[tuple, Mapping[str, Any]]] = []
    if "respond" in rule:
        responses.append((where + ("respond",), rule["respond"]))
    for i, step in enumerate(rule.get("sequence") or ()):
        responses.append((where + ("sequence", i), step))
    if "rate_limit" in rule and "respond" in rule["rate_limit"]:
        rl_respond = rule["rate_limit"]["respond"]
        responses.append((where + ("rate_limit", "respond"), rl_respond))
        if "fault" in rl_respond:
            problems.append((where + ("rate_limit", "respond", "fault"), "a rate limit answers, it does not fault"))
    for path, spec in responses:
        problems.extend(_check_response(spec, path))
    if "delay" in rule:
        problems.extend(_check_delay(rule["delay"], where + ("delay",)))
    for key, sub in (("delivery", "after"), ("callback", "delay")):
        if key in rule and sub in rule[key]:
            problems.extend(_check_delay(rule[key][sub], where + (key, sub)))
    if not vendors:
        return problems, warnings

    match = rule.get("match") or {}
    named = sorted(_as_set(match.get("vendor")) or ())
    unknown = [v for v in named if v not in vendors]
    if unknown:
        warnings.append(
            (
                where + ("match", "vendor"),
                f"vendor {', '.join(unknown)} is not mounted (known: {', '.join(sorted(vendors))}); the rule skips it",
            )
        )
    scope = [vendors[v] for v in named if v in vendors] if named else list(vendors.values())
    if named and not scope:
        return problems, warnings  # only vendors merged elsewhere: nothing more to check here
    ops = _as_set(match.get("operation"))
    if ops:
        known_ops = {op for v in scope for op in _operations(v)}
        missing = sorted(ops - known_ops)
        if missing:
            text = f"operation {', '.join(missing)} is not an operation of {', '.join(v.name for v in scope)} (known: {', '.join(sorted(known_ops))})"
            (problems if named else warnings).append((where + ("match", "operation"), text))
    for path, spec in responses:
        ref = spec.get("error")
        if ref is None:
            continue
        ref = str(ref)
        if ref.startswith("@") and ref[1:] not in ERROR_KINDS:
            problems.append(
                (path + ("error",), f"unknown error kind {ref!r} (known: {', '.join('@' + k for k in ERROR_KINDS)})")
            )
        elif not any(resolve_error(v, ref) is not None for v in scope):
            problems.append(
                (path + ("error",), f"error {ref!r} is in no error table of {', '.join(v.name for v in scope)}")
            )
    return problems, warnings


def check(located: Located, vendors: Mapping[str, Vendor] | None = None) -> tuple[list[str], list[str]]:
    """Every problem and warning of a scenario document, as ``file:line:col: rule NAME: message``."""
    data = located.data if located.data is not None else {}
    found: list[tuple[tuple, str]] = []
    for error in _validator().iter_errors(data):
        found.append(_schema_message(error))
    warnings: list[tuple[tuple, str]] = []
    # Rules the schema accepts get the checks it cannot make (a rule with schema errors is
    # skipped: its shape is unknown).
    broken = {path[1] for path, _ in found if len(path) >= 2 and path[0] == "rules"}
    top_ok = all(len(path) >= 2 and path[0] == "rules" for path, _ in found)
    if top_ok and isinstance(data, dict):
        if (data.get("magic_recipients") or data.get("error_header")) and vendors is not None and not vendors:
            warnings.append(((), "no vendor is mounted: the generated rules are empty"))
        for i, rule in enumerate(data.get("rules") or ()):
            if i in broken:
                continue
            p, w = _check_rule(rule, ("rules", i), vendors)
            found.extend(p)
            warnings.extend(w)

    def fmt(items: list[tuple[tuple, str]]) -> list[str]:
        items = sorted(
            items, key=lambda item: located.marks.get(item[0], (0, 0)) if item[0] in located.marks else (10**9, 0)
        )
        return [
            f"{located.where(path)}: {_rule_label(data, path)}{format_path(path)}: {message}" for path, message in items
        ]

    return fmt(found), fmt(warnings)


def validate(located: Located, vendors: Mapping[str, Vendor] | None = None) -> list[str]:
    """Every problem of a scenario document (see :func:`check`)."""
    return check(located, vendors)[0]


def looks_like_scenario(data: Any) -> bool:
    return isinstance(data, dict) and bool({"rules", "magic_recipients", "error_header"} & set(data))


# -- generated rules -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MagicNumber:
    """One documented magic recipient: sending to ``number`` gives ``outcome``."""

    vendor: str
    number: str
    n: int  # the argument of ``vendor.sample_recipient``
    kind: str  # "error" (the request is answered with ``row``) or "delivery" (final ``status``)
    outcome: str  # the row's name, or the delivery status
    row: ErrorRow | None
    operations: tuple[str, ...]  # where an error number applies (the sending operations)


# An operation sends to a recipient when one word of its name is one of these (send_sms,
# otp_send, otp_resend, otp_request, send_ads; not sender_list).
SENDING_WORDS = frozenset({"send", "resend", "request"})


def send_operations(vendor: Vendor) -> tuple[str, ...]:
    """The operations that send (see ``SENDING_WORDS``): magic error numbers apply there."""
    return tuple(op for op in _operations(vendor) if SENDING_WORDS & set(op.split("_")))


def magic_numbers(vendors: Iterable[Vendor]) -> list[MagicNumber]:
    """The magic recipient table of ``vendors``, generated from their error tables."""
    out = []
    for vendor in vendors:
        ops = send_operations(vendor)
        rows = [row for row in vendor.errors if row.concerns in MAGIC_CONCERNS]
        for i, row in enumerate(rows):
            n = MAGIC_ERROR_BASE + i
            out.append(MagicNumber(vendor.name, vendor.sample_recipient(n), n, "error", row.name, row, ops))
        for n, status in MAGIC_DELIVERY:
            out.append(MagicNumber(vendor.name, vendor.sample_recipient(n), n, "delivery", status, None, ()))
    return out


def _magic_rules(vendors: Iterable[Vendor]) -> list[dict[str, Any]]:
    rules = []
    for magic in magic_numbers(vendors):
        match: dict[str, Any] = {"vendor": magic.vendor, "recipient": [magic.number]}
        if magic.kind == "error":
            if magic.operations:
                match["operation"] = list(magic.operations)
            rules.append(
                {
                    "name": f"magic {magic.vendor} {magic.number} {magic.outcome}",
                    "match": match,
                    "respond": {"error": magic.outcome},
                }
            )
        else:
            rules.append(
                {
                    "name": f"magic {magic.vendor} {magic.number} delivery {magic.outcome}",
                    "match": match,
                    "delivery": {"status": magic.outcome},
                }
            )
    return rules


def _error_header_rules(vendors: Iterable[Vendor], header: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{header} {vendor.name} {row.name}",
            "match": {"vendor": vendor.name, "header": {header: row.name}},
            "respond": {"error": row.name},
        }
        for vendor in vendors
        for row in vendor.errors
    ]


def magic_markdown(vendors: Iterable[Vendor]) -> str:
    """The magic recipient table as markdown (``mockserver magic``, the README)."""
    lines = [
        "| vendor | recipient | outcome | HTTP | vendor's answer |",
        "|---|---|---|---|---|",
    ]
    for m in magic_numbers(vendors):
        if m.row is not None:
            code = f" (code `{m.row.code}`)" if m.row.code is not None else ""
            answer = "`" + m.row.message.replace("|", "\\|") + "`" + code
            lines.append(
                f"| {m.vendor} | `{m.number}` | error `{m.outcome}` on {', '.join(m.operations) or 'every operation'} | {m.row.status} | {answer} |"
            )
        else:
            lines.append(
                f"| {m.vendor} | `{m.number}` | accepted, delivery ends `{m.outcome}` | 200 | the vendor's success answer |"
            )
    return "\n".join(lines) + "\n"


# -- the engine ------------------------------------------------------------------------------
@dataclass
class ScenarioEngine:
    rng: Randomness
    clock: Clock | None = None
    vendors: Mapping[str, Vendor] = field(default_factory=dict)  # the mounted vendors, by name
    rules: list[Rule] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # where the active rules came from
    _startup: list[tuple[Mapping[str, Any], str]] = field(default_factory=list)
    _startup_sources: list[str] = field(default_factory=list)
    _next_id: int = 0
    _runtime_added: int = 0  # rules added at run time sit before the loaded ones, in order
    _request: dict[tuple[str, str], Candidates] = field(default_factory=dict)
    _delivery: dict[tuple[str, str], Candidates] = field(default_factory=dict)
    _callback: dict[tuple[str, str], Candidates] = field(default_factory=dict)
    _track: bool = False  # some delivery/callback rule needs the request's headers or decisions

    # -- loading -----------------------------------------------------------------------------
    def parse(self, located: Located) -> list[tuple[Mapping[str, Any], str]]:
        """The rules of one document, checked and expanded; raises :class:`ScenarioError`."""
        problems, _ = check(located, self.vendors)
        if problems:
            raise ScenarioError(problems)
        data = located.data or {}
        source = Path(located.source).name if located.source and not located.source.startswith("<") else located.source
        specs: list[tuple[Mapping[str, Any], str]] = []
        vendors = list(self.vendors.values())
        if data.get("magic_recipients"):
            specs.extend((spec, f"{source}#magic_recipients") for spec in _magic_rules(vendors))
        if data.get("error_header"):
            specs.extend(
                (spec, f"{source}#error_header") for spec in _error_header_rules(vendors, data["error_header"])
            )
        specs.extend((spec, source) for spec in data.get("rules") or ())
        return specs

    def read(self, path: str | Path) -> list[tuple[Mapping[str, Any], str]]:
        """The rules of a scenario file; raises :class:`ScenarioError`."""
        try:
            located = load_yaml(path)
        except YamlSyntaxError as exc:
            raise ScenarioError([str(exc)]) from None
        except OSError as exc:
            raise ScenarioError([f"{path}: {exc.strerror}"]) from None
        return self.parse(located)

    def read_text(self, text: str, source: str = "<inline>") -> list[tuple[Mapping[str, Any], str]]:
        try:
            located = loads_yaml(text, source)
        except YamlSyntaxError as exc:
            raise ScenarioError([str(exc)]) from None
        if located.data is not None and not isinstance(located.data, dict):
            raise ScenarioError([f"{source}:1:1: a scenario is a mapping with rules:"])
        return self.parse(located)

    def load_startup(self, files: Iterable[str | Path]) -> None:
        """Load the start-up scenario (all files checked before any is used)."""
        from mockserver.core.scenario_files import find_scenario

        # A shipped scenario may be named without its path: ``--scenario outage``.
        files = [p if Path(p).exists() else (find_scenario(str(p)) or p) for p in files]
        specs: list[tuple[Mapping[str, Any], str]] = []
        problems: list[str] = []
        for path in files:
            try:
                specs.extend(self.read(path))
            except ScenarioError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ScenarioError(problems)
        self._startup = specs
        self._startup_sources = [Path(p).name for p in files]
        self.reset()

    def reset(self) -> None:
        """Back to the start-up scenario, with every counter and rate-limit bucket at zero."""
        self._next_id = 0
        self.install(self._startup, self._startup_sources)

    def install(self, specs: Sequence[tuple[Mapping[str, Any], str]], sources: Sequence[str]) -> None:
        """Replace the active rules at once (checked specs, see :meth:`parse`)."""
        self._runtime_added = 0
        self.rules = [self._build(spec, source) for spec, source in specs]
        self.sources = list(sources)
        self._reindex()

    def add(self, spec: Mapping[str, Any], source: str = "runtime", *, first: bool = True) -> Rule:
        """Add one checked rule: before the loaded rules (after earlier runtime ones) or last."""
        rule = self._build(spec, source)
        rules = list(self.rules)
        if first:
            rules.insert(self._runtime_added, rule)
            self._runtime_added += 1
        else:
            rules.append(rule)
        self.rules = rules
        self._reindex()
        return rule

    def remove(self, rule_id: str) -> bool:
        for index, rule in enumerate(self.rules):
            if rule.id == rule_id:
                if index < self._runtime_added:
                    self._runtime_added -= 1
                self.rules = self.rules[:index] + self.rules[index + 1 :]
                self._reindex()
                return True
        return False

    def check_rule(self, spec: Any, source: str = "<rule>") -> Mapping[str, Any]:
        """One rule (a mapping) checked as a one-rule scenario; raises :class:`ScenarioError`."""
        text = json.dumps({"rules": [spec]}, ensure_ascii=False, indent=1)
        specs = self.read_text(text, source)
        return specs[0][0]

    def _build(self, spec: Mapping[str, Any], source: str) -> Rule:
        self._next_id += 1
        return Rule.build(f"r{self._next_id}", spec, source)

    def _reindex(self) -> None:
        # New dicts, not cleared ones: a request in flight keeps the candidates it started with.
        self._request = {}
        self._delivery = {}
        self._callback = {}
        self._track = any(
            (r.delivery is not None or r.callback is not None) and (r.headers or r.request_level) for r in self.rules
        )

    def _candidates(
        self, cache: dict[tuple[str, str], Candidates], vendor: str, operation: str, phase: str
    ) -> Candidates:
        selected = []
        vendor_obj = self.vendors.get(vendor)
        for rule in self.rules:
            if rule.vendors is not None and vendor not in rule.vendors:
                continue
            if rule.operations is not None and operation not in rule.operations:
                continue
            if phase == "request":
                if not rule.request_level:
                    continue
                refs = [r.error for r in rule.responses if r.error is not None]
                if rule.rate is not None and rule.rate.response.error is not None:
                    refs.append(rule.rate.response.error)
                if refs and vendor_obj is not None and any(resolve_error(vendor_obj, ref) is None for ref in refs):
                    continue  # an error this vendor does not have: the rule is not about it
            elif (phase == "delivery" and rule.delivery is None) or (phase == "callback" and rule.callback is None):
                continue
            selected.append(rule)
        if not selected:
            found = _NO_RULES
        else:
            needs_keys = any(r.recipients is not None for r in selected)
            gate = None
            if all(r.recipients is not None for r in selected):
                gate = frozenset().union(*(r.recipients for r in selected))  # type: ignore[arg-type]
            found = Candidates(tuple(selected), needs_keys, gate)
        cache[(vendor, operation)] = found
        return found

    # -- deciding ----------------------------------------------------------------------------
    async def apply(self, call: Call) -> None:
        """Apply the first request-level rule matching ``call``: delay, then respond/fault."""
        vendor = call.vendor
        key = (vendor.name, call.operation.name)
        cands = self._request.get(key)
        if cands is None:
            cands = self._candidates(self._request, key[0], key[1], "request")
        state = None
        if self._track:
            state = _RequestState(call.request.headers, {})
            CURRENT.set(state)
        if not cands.rules:
            return
        facts = call.facts
        keys = None
        if cands.needs_keys:
            keys = frozenset(phone_key(r) for r in facts.get("recipients") or ())
            if cands.gate is not None and cands.gate.isdisjoint(keys):
                return
        headers = call.request.headers
        limited = False  # the first matching rate_limit rule is this request's limit
        for rule in cands.rules:
            if rule.rate is not None and limited:
                continue
            if not rule.matches_facts(facts, keys, headers):
                continue
            if rule.rate is not None:
                limited = True
                rate = rule.rate
                bucket = (vendor.name, str(facts.get("account"))) if rate.per_account else (vendor.name,)
                rule.matches += 1
                if rule.take_token(bucket, self._now()):
                    continue
                rule.hits += 1
                self._perform(call, rule, rate.response)
                return
            fired = rule.fires(self.rng)
            if state is not None:
                state.decided[rule.id] = fired
            if not fired:
                continue
            if rule.delay is not None:
                await asyncio.sleep(rule.delay.sample(self.rng))
            response = rule.next_response()
            if response is not None:
                self._perform(call, rule, response)
            return

    def _now(self) -> float:
        return self.clock.now() if self.clock is not None else time.monotonic()

    def _perform(self, call: Call, rule: Rule, response: Response) -> None:
        if response.slow is not None:
            call.slow_body = response.slow  # the vendor middleware dribbles the answer
        if response.fault is not None:
            raise Fault(response.fault, after=response.fault_after, body=response.garbage, rule=rule.name)
        if response.error is not None:
            vendor = call.vendor
            row = resolve_error(vendor, response.error)
            if row is None:  # cannot happen: the candidates only hold rules this vendor can answer
                raise Answer(
                    web.Response(
                        status=500, text=f"scenario rule {rule.name}: no error {response.error!r} for {vendor.name}"
                    )
                )
            if vendor.errors.find(row.name) is row:
                raise VendorError(row.name, response.detail)
            renderer = call.operation.render_error or vendor.render_error
            raise Answer(renderer(call, row, response.detail or row.message, {}), row.name)
        if response.status is not None:
            raise Answer(
                web.Response(status=response.status, body=response.body, headers=dict(response.headers)),
                f"scenario:{rule.name}",
            )
        # ``pass: true`` or a slow_body alone: the vendor answers as usual.

    def _message_phase(self, cache: dict, message: Message, phase: str) -> Rule | None:
        """The first rule of ``phase`` that matches ``message`` and fires."""
        cands = cache.get((message.vendor, message.operation))
        if cands is None:
            cands = self._candidates(cache, message.vendor, message.operation, phase)
        if not cands.rules:
            return None
        keys = None
        if cands.needs_keys:
            keys = frozenset((phone_key(message.recipient),))
            if cands.gate is not None and cands.gate.isdisjoint(keys):
                return None
        facts = {
            "vendor": message.vendor,
            "operation": message.operation,
            "account": message.account,
            "recipients": (message.recipient,),
            "text": message.text,
            "sender": message.sender,
        }
        state = CURRENT.get() if self._track else None
        headers = state.headers if state is not None else None
        for rule in cands.rules:
            if not rule.matches_facts(facts, keys, headers):
                continue
            if state is not None and rule.id in state.decided:
                # The request already decided for this rule (delay + delivery go together).
                if state.decided[rule.id]:
                    return rule
                continue
            if rule.fires(self.rng):
                return rule
        return None

    def delivery_for(self, message: Message) -> DeliveryPlan | None:
        """The delivery outcome (and timing) a rule sets for this message, if any."""
        if not self.rules:
            return None
        rule = self._message_phase(self._delivery, message, "delivery")
        if rule is None:
            return None
        plan = rule.delivery
        assert plan is not None
        after = rule.delivery_after.sample(self.rng) if rule.delivery_after is not None else None
        return DeliveryPlan(plan["status"], after, plan.get("code"))

    def callback_for(self, message: Message) -> CallbackPlan | None:
        """How the delivery report of ``message`` behaves (delay, duplicate, drop, reorder), if a
        rule says; the callback dispatcher honours the plan."""
        if not self.rules:
            return None
        rule = self._message_phase(self._callback, message, "callback")
        if rule is None:
            return None
        spec = rule.callback
        assert spec is not None
        return CallbackPlan(
            delay=rule.callback_delay.sample(self.rng) if rule.callback_delay is not None else 0.0,
            duplicate=int(spec.get("duplicate", 0)),
            drop=bool(spec.get("drop", False)),
            reorder=bool(spec.get("reorder", False)),
        )

    def describe(self) -> list[dict[str, Any]]:
        return [rule.to_dict() for rule in self.rules]
