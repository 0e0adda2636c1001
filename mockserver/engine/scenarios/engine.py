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

The engine knows vendors only through :mod:`mockserver.engine.interfaces` and requests only
through their :class:`~.model.Facts` and headers: it hands its decision back (a
:class:`~.model.Decision`), and the HTTP layer carries it out.

Speed: the rules that can concern a (vendor, operation) are computed once per rule set and cached;
a request with no candidate rule costs one dict look-up, and a candidate list made only of exact
recipient rules (the magic numbers) is skipped with one set intersection.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.core.errors import VendorError
from mockserver.core.yamlfile import Located, YamlSyntaxError
from mockserver.core.yamlfile import load as load_yaml
from mockserver.core.yamlfile import loads as loads_yaml
from mockserver.engine.scenarios.generated import error_header_rules, magic_rules
from mockserver.engine.scenarios.model import (
    NO_RULES,
    Answer,
    CallbackPlan,
    Candidates,
    Decision,
    DeliveryPlan,
    Facts,
    Fault,
    Response,
    Rule,
    ScenarioError,
    phone_key,
    resolve_error,
)
from mockserver.engine.scenarios.validation import check

if TYPE_CHECKING:
    from mockserver.core.clock import Clock
    from mockserver.core.randomness import Randomness
    from mockserver.core.store import Message
    from mockserver.engine.interfaces import EngineVendor, ErrorRenderer


@dataclass(slots=True)
class _RequestState:
    """What the request being handled knows, for the delivery decisions of its messages."""

    headers: Mapping[str, str]
    decided: dict[str, bool]


# The current request (set by ``apply`` when some delivery/callback rule needs it; the vendor
# middleware clears it, since keep-alive requests share one task).
CURRENT: ContextVar[_RequestState | None] = ContextVar("mockserver_scenario_request", default=None)


@dataclass
class ScenarioEngine:
    rng: Randomness
    clock: Clock | None = None
    vendors: Mapping[str, EngineVendor] = field(default_factory=dict)  # the mounted vendors, by name
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
            specs.extend((spec, f"{source}#magic_recipients") for spec in magic_rules(vendors))
        if data.get("error_header"):
            specs.extend((spec, f"{source}#error_header") for spec in error_header_rules(vendors, data["error_header"]))
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

    def start_like(self, other: ScenarioEngine) -> None:
        """Start from ``other``'s start-up scenario (a namespace starts from the server's), with
        nothing read again: the files may have changed since the server started."""
        self._startup = list(other._startup)
        self._startup_sources = list(other._startup_sources)
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

    def saved_state(self) -> dict[str, Any]:
        """The active rules as checked specs with their ids and sources (a saved world; hit
        counters and rate-limit buckets start again at zero after a restart)."""
        return {
            "rules": [{"id": r.id, "spec": r.spec, "source": r.source} for r in self.rules],
            "sources": list(self.sources),
            "runtime_added": self._runtime_added,
            "next_id": self._next_id,
            "startup": list(self._startup_sources),
        }

    def restore_state(self, state: Mapping[str, Any]) -> bool:
        """Make the rules :meth:`saved_state` saw active again (they were checked when added),
        unless the server now starts with other scenario files than the saved world did: the
        command line then wins (False), since that is what whoever restarted it asked for."""
        if list(state.get("startup", [])) != list(self._startup_sources):
            return False
        self.rules = [Rule.build(r["id"], r["spec"], r["source"]) for r in state["rules"]]
        self.sources = list(state["sources"])
        self._runtime_added = int(state["runtime_added"])
        self._next_id = int(state["next_id"])
        self._reindex()
        return True

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
            found = NO_RULES
        else:
            needs_keys = any(r.recipients is not None for r in selected)
            gate = None
            if all(r.recipients is not None for r in selected):
                gate = frozenset().union(*(r.recipients for r in selected))  # type: ignore[arg-type]
            found = Candidates(tuple(selected), needs_keys, gate)
        cache[(vendor, operation)] = found
        return found

    # -- deciding ----------------------------------------------------------------------------
    async def apply(self, facts: Facts, headers: Mapping[str, str], renderer: ErrorRenderer) -> Decision | None:
        """Apply the first request-level rule matching a request: wait out its ``delay``, then
        hand back what replaces or changes the vendor's answer (None: answer as usual).

        ``headers`` are the request's (``match: header`` and the delivery rules that need them);
        ``renderer`` shows an error row the vendor's own table does not hold. A request's context
        lasts until :meth:`end_request`."""
        key = (facts.vendor, facts.operation)
        cands = self._request.get(key)
        if cands is None:
            cands = self._candidates(self._request, key[0], key[1], "request")
        state = None
        if self._track:
            state = _RequestState(headers, {})
            CURRENT.set(state)
        if not cands.rules:
            return None
        keys = None
        if cands.needs_keys:
            keys = frozenset(map(phone_key, facts.recipients))  # map: no generator frame per request
            if cands.gate is not None and cands.gate.isdisjoint(keys):
                return None
        limited = False  # the first matching rate_limit rule is this request's limit
        for rule in cands.rules:
            if rule.rate is not None and limited:
                continue
            if not rule.matches_facts(facts, keys, headers):
                continue
            if rule.rate is not None:
                limited = True
                rate = rule.rate
                bucket = (facts.vendor, str(facts.account)) if rate.per_account else (facts.vendor,)
                rule.matches += 1
                if rule.take_token(bucket, self._now()):
                    continue
                rule.hits += 1
                return self._decide(facts.vendor, renderer, rule, rate.response)
            fired = rule.fires(self.rng)
            if state is not None:
                state.decided[rule.id] = fired
            if not fired:
                continue
            if rule.delay is not None:
                await asyncio.sleep(rule.delay.sample(self.rng))
            response = rule.next_response()
            return self._decide(facts.vendor, renderer, rule, response) if response is not None else None
        return None

    def end_request(self) -> None:
        """Forget the request being answered (the HTTP layer calls this once it has answered):
        keep-alive requests share one task, so its context would otherwise reach the next."""
        if CURRENT.get() is not None:
            CURRENT.set(None)

    def _now(self) -> float:
        return self.clock.now() if self.clock is not None else time.monotonic()

    def _decide(self, vendor_name: str, renderer: ErrorRenderer, rule: Rule, response: Response) -> Decision | None:
        slow = response.slow  # the HTTP layer dribbles the answer, whatever it is
        interrupt: Exception | None = None
        if response.fault is not None:
            interrupt = Fault(response.fault, after=response.fault_after, body=response.garbage, rule=rule.name)
        elif response.error is not None:
            vendor = self.vendors.get(vendor_name)
            row = resolve_error(vendor, response.error) if vendor is not None else None
            if row is None:  # cannot happen: the candidates only hold rules this vendor can answer
                interrupt = Answer(
                    web.Response(
                        status=500, text=f"scenario rule {rule.name}: no error {response.error!r} for {vendor_name}"
                    )
                )
            elif vendor is not None and vendor.errors.find(row.name) is row:
                interrupt = VendorError(row.name, response.detail)
            else:  # a fallback row (no such row in the vendor's table): rendered in its shape here
                interrupt = Answer(renderer.render_row(row, response.detail or row.message), row.name)
        elif response.status is not None:
            interrupt = Answer(
                web.Response(status=response.status, body=response.body, headers=dict(response.headers)),
                f"scenario:{rule.name}",
            )
        # ``pass: true`` or a slow_body alone: the vendor answers as usual.
        if slow is None and interrupt is None:
            return None
        return Decision(slow, interrupt)

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
        facts = Facts(
            message.vendor, message.operation, message.account, (message.recipient,), message.text, message.sender
        )
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
