"""The scenario engine: YAML rules that decide errors, delays and delivery outcomes.

Handlers ask it once per request (:meth:`ScenarioEngine.apply`, through ``Call.consult``) after
parsing and before the vendor logic; the delivery lifecycle asks it once per accepted message
(:meth:`ScenarioEngine.delivery_for`). Rules are tried in order and the first that matches
decides. A scenario file is validated against ``schemas/scenario.schema.json`` as a whole
before any of it is used, so a bad file never half-loads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .clock import parse_duration
from .errors import VendorError
from .yamlfile import Located, format_path
from .yamlfile import load as load_yaml

if TYPE_CHECKING:
    from .randomness import Randomness
    from .store import Message
    from .vendor import Call

SCHEMA_PATH = Path(__file__).with_name("schemas") / "scenario.schema.json"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; ``problems`` are ``file:line:col: rule: message``."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class Answer(Exception):
    """A scenario's raw response, returned instead of the vendor's."""

    def __init__(self, response: web.StreamResponse, outcome: str = "scenario") -> None:
        super().__init__(outcome)
        self.response = response
        self.outcome = outcome


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(located: Located) -> list[str]:
    """Every problem of a scenario document, each as ``file:line:col: rule NAME: message``."""
    data = located.data if located.data is not None else {}
    problems = []
    for error in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(error.absolute_path)
        rule = _rule_label(data, path)
        problems.append(f"{located.where(path)}: {rule}{format_path(path)}: {error.message}")
    return problems


def _rule_label(data: Any, path: tuple) -> str:
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        try:
            name = data["rules"][path[1]].get("name")
        except (AttributeError, IndexError, KeyError, TypeError):
            name = None
        return f"rule {name or '#' + str(path[1] + 1)}: "
    return ""


def _as_set(value: str | list[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset([value] if isinstance(value, str) else value)


@dataclass(slots=True)
class Rule:
    id: str
    name: str
    spec: Mapping[str, Any]
    vendors: frozenset[str] | None
    operations: frozenset[str] | None
    accounts: frozenset[str] | None
    recipients: frozenset[str] | None
    recipient_regex: re.Pattern[str] | None
    text: re.Pattern[str] | None
    senders: frozenset[str] | None
    headers: Mapping[str, str]
    probability: float | None
    after: int
    times: int | None
    source: str = ""
    matches: int = 0  # how often the match part matched
    hits: int = 0  # how often the rule applied

    @classmethod
    def build(cls, rule_id: str, spec: Mapping[str, Any], source: str = "") -> Rule:
        m = spec.get("match", {})
        return cls(
            id=rule_id,
            name=spec.get("name", rule_id),
            spec=spec,
            vendors=_as_set(m.get("vendor")),
            operations=_as_set(m.get("operation")),
            accounts=_as_set(m.get("account")),
            recipients=_as_set(m.get("recipient")),
            recipient_regex=re.compile(m["recipient_regex"]) if "recipient_regex" in m else None,
            text=re.compile(m["text"], re.S) if "text" in m else None,
            senders=_as_set(m.get("sender")),
            headers={k.lower(): v for k, v in m.get("header", {}).items()},
            probability=spec.get("probability"),
            after=spec.get("after", 0),
            times=spec.get("times"),
            source=source,
        )

    def matches_facts(self, facts: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> bool:
        if self.vendors is not None and facts.get("vendor") not in self.vendors:
            return False
        if self.operations is not None and facts.get("operation") not in self.operations:
            return False
        if self.accounts is not None and str(facts.get("account")) not in self.accounts:
            return False
        recipients: Iterable[str] = facts.get("recipients") or ()
        if self.recipients is not None and not any(r in self.recipients for r in recipients):
            return False
        if self.recipient_regex is not None and not any(self.recipient_regex.fullmatch(r) for r in recipients):
            return False
        if self.text is not None and not (facts.get("text") is not None and self.text.search(facts["text"])):
            return False
        if self.senders is not None and facts.get("sender") not in self.senders:
            return False
        if self.headers:
            if headers is None:
                return False
            for key, value in self.headers.items():
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

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "source": self.source, "hits": self.hits, "matches": self.matches, **dict(self.spec)}


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


@dataclass
class ScenarioEngine:
    rng: Randomness
    rules: list[Rule] = field(default_factory=list)
    _startup: list[tuple[Mapping[str, Any], str]] = field(default_factory=list)
    _next_id: int = 0

    # -- loading -----------------------------------------------------------------------------
    @staticmethod
    def read(path: str | Path) -> list[Mapping[str, Any]]:
        """The rules of a scenario file, validated; raises :class:`ScenarioError`."""
        from .yamlfile import YamlSyntaxError

        try:
            located = load_yaml(path)
        except YamlSyntaxError as exc:
            raise ScenarioError([str(exc)]) from None
        except OSError as exc:
            raise ScenarioError([f"{path}: {exc.strerror}"]) from None
        problems = validate(located)
        if problems:
            raise ScenarioError(problems)
        return list((located.data or {}).get("rules") or [])

    def load_startup(self, files: Iterable[str | Path]) -> None:
        specs: list[tuple[Mapping[str, Any], str]] = []
        for path in files:
            specs.extend((spec, Path(path).name) for spec in self.read(path))
        self._startup = specs
        self.reset()

    def reset(self) -> None:
        self._next_id = 0
        self.rules = [self._build(spec, source) for spec, source in self._startup]

    def add(self, spec: Mapping[str, Any], source: str = "runtime") -> Rule:
        rule = self._build(spec, source)
        self.rules.append(rule)
        return rule

    def _build(self, spec: Mapping[str, Any], source: str) -> Rule:
        self._next_id += 1
        return Rule.build(f"r{self._next_id}", spec, source)

    # -- deciding ----------------------------------------------------------------------------
    async def apply(self, call: Call) -> None:
        """Apply the first request-level rule (respond / delay) matching ``call``'s facts."""
        if not self.rules:
            return
        headers = call.request.headers
        lower_headers = None
        for rule in self.rules:
            spec = rule.spec
            if "respond" not in spec and "delay" not in spec:
                continue
            if rule.headers and lower_headers is None:
                lower_headers = {k.lower(): v for k, v in headers.items()}
            if not rule.matches_facts(call.facts, lower_headers):
                continue
            if not rule.fires(self.rng):
                continue
            if "delay" in spec:
                import asyncio

                await asyncio.sleep(self._delay(spec["delay"]))
            respond = spec.get("respond")
            if respond:
                self._respond(call, rule, respond)
            return

    def _delay(self, delay: Any) -> float:
        if not isinstance(delay, Mapping):
            return parse_duration(delay)
        if "uniform" in delay:
            low, high = parse_duration(delay["uniform"]["min"]), parse_duration(delay["uniform"]["max"])
            return self.rng.uniform(low, high)
        return parse_duration(delay.get("fixed", 0))

    def _respond(self, call: Call, rule: Rule, respond: Mapping[str, Any]) -> None:
        if "error" in respond:
            row = call.vendor.errors.find(respond["error"])
            if row is None:
                raise Answer(web.Response(status=500, text=f"scenario rule {rule.name}: no error {respond['error']!r} for {call.vendor.name}"))
            raise VendorError(row.name, respond.get("detail"))
        body = respond.get("body", "")
        headers = dict(respond.get("headers", {}))
        if isinstance(body, (dict, list)):
            data = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        else:
            data = str(body).encode()
        raise Answer(web.Response(status=respond.get("status", 200), body=data, headers=headers), f"scenario:{rule.name}")

    def delivery_for(self, message: Message) -> DeliveryPlan | None:
        """The delivery outcome a rule sets for this message, if any."""
        if not self.rules:
            return None
        facts = {
            "vendor": message.vendor,
            "operation": message.operation,
            "account": message.account,
            "recipients": (message.recipient,),
            "text": message.text,
            "sender": message.sender,
        }
        for rule in self.rules:
            plan = rule.spec.get("delivery")
            if plan is None or not rule.matches_facts(facts):
                continue
            if not rule.fires(self.rng):
                continue
            after = parse_duration(plan["after"]) if "after" in plan else None
            return DeliveryPlan(plan["status"], after, plan.get("code"))
        return None

    def callback_for(self, message: Message) -> CallbackPlan | None:
        """How the delivery report of ``message`` behaves (delay, duplicate, drop), if a rule says.

        The scenario-language issue fills this in; the callback dispatcher honours the plan.
        """
        return None

    def describe(self) -> list[dict[str, Any]]:
        return [rule.to_dict() for rule in self.rules]
