"""Checking a scenario document as a whole before any of it is used, so a bad file never
half-loads: first against ``mockserver/schemas/scenario.schema.json``, then the checks a schema
cannot make (exclusive keys, empty rules) and against the mounted vendors (their operations and
error tables). Problems read ``file:line:col: rule NAME: message``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from mockserver.core.clock import parse_duration
from mockserver.core.schema_problems import SchemaProblem, closest, describe, did_you_mean
from mockserver.core.yamlfile import Located, format_path
from mockserver.engine.interfaces import EngineVendor, operation_names
from mockserver.engine.scenarios.model import ACTIONS, ERROR_KINDS, as_set, resolve_error

# mockserver/schemas/, next to the core config schema.
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "scenario.schema.json"


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _rule_label(data: Any, path: tuple) -> str:
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        try:
            name = data["rules"][path[1]].get("name")
        except (AttributeError, IndexError, KeyError, TypeError):
            name = None
        return f"rule {name or '#' + str(path[1] + 1)}: "
    return ""


def _check_response(spec: Mapping[str, Any], where: tuple) -> list[tuple[tuple, str]]:
    out = []
    fault = spec.get("fault")
    kind = fault if isinstance(fault, str) else (fault or {}).get("kind")
    answers = [k for k in ("error", "status", "pass") if k in spec]
    if len(answers) > 1:
        out.append((where, f"respond with only one of error, status, pass (got {', '.join(answers)})"))
    if kind is not None and kind != "slow_body" and (answers or "body" in spec or "headers" in spec):
        out.append(
            ((*where, "fault"), f"fault {kind} sends no HTTP answer: drop {', '.join(answers) or 'body/headers'}")
        )
    if ("body" in spec or "headers" in spec) and "status" not in spec and kind is None:
        out.append((where, "body and headers need a status"))
    if "detail" in spec and "error" not in spec:
        out.append(((*where, "detail"), "detail goes with error"))
    if isinstance(fault, Mapping):
        if "after" in fault and kind != "timeout":
            out.append(((*where, "fault", "after"), "after is for the timeout fault"))
        if ("duration" in fault or "chunks" in fault) and kind != "slow_body":
            out.append(((*where, "fault"), "duration and chunks are for the slow_body fault"))
        if "body" in fault and kind != "malformed_response":
            out.append(((*where, "fault", "body"), "body is for the malformed_response fault"))
    return out


def _check_delay(spec: Any, where: tuple) -> list[tuple[tuple, str]]:
    if not isinstance(spec, Mapping):
        return []
    if "uniform" in spec and parse_duration(spec["uniform"]["min"]) > parse_duration(spec["uniform"]["max"]):
        return [((*where, "uniform"), "uniform min is above max")]
    if "lognormal" in spec and parse_duration(spec["lognormal"]["median"]) <= 0:
        return [((*where, "lognormal", "median"), "lognormal median must be above 0")]
    return []


def _check_rule(rule: Mapping[str, Any], where: tuple, vendors: Mapping[str, EngineVendor] | None) -> tuple[list, list]:
    """Problems (and warnings) a schema cannot see: exclusive keys, empty rules, and names
    that no mounted vendor knows."""
    problems: list[tuple[tuple, str]] = []
    warnings: list[tuple[tuple, str]] = []
    present = [k for k in ACTIONS if k in rule]
    if not present:
        problems.append((where, f"the rule does nothing: give one of {', '.join(ACTIONS)}"))
    if "respond" in rule and "sequence" in rule:
        problems.append(((*where, "sequence"), "respond and sequence are exclusive"))
    if "rate_limit" in rule and ("respond" in rule or "sequence" in rule):
        problems.append(((*where, "rate_limit"), "rate_limit answers with its own respond: drop respond/sequence"))
    if "cycle" in rule and "sequence" not in rule:
        problems.append(((*where, "cycle"), "cycle goes with sequence"))
    responses: list[tuple[tuple, Mapping[str, Any]]] = []
    if "respond" in rule:
        responses.append(((*where, "respond"), rule["respond"]))
    for i, step in enumerate(rule.get("sequence") or ()):
        responses.append(((*where, "sequence", i), step))
    if "rate_limit" in rule and "respond" in rule["rate_limit"]:
        rl_respond = rule["rate_limit"]["respond"]
        responses.append(((*where, "rate_limit", "respond"), rl_respond))
        if "fault" in rl_respond:
            problems.append(((*where, "rate_limit", "respond", "fault"), "a rate limit answers, it does not fault"))
    for path, spec in responses:
        problems.extend(_check_response(spec, path))
    if "delay" in rule:
        problems.extend(_check_delay(rule["delay"], (*where, "delay")))
    for key, sub in (("delivery", "after"), ("callback", "delay")):
        if key in rule and sub in rule[key]:
            problems.extend(_check_delay(rule[key][sub], (*where, key, sub)))
    if not vendors:
        return problems, warnings

    match = rule.get("match") or {}
    named = sorted(as_set(match.get("vendor")) or ())
    for name in named:
        if name not in vendors:
            problems.append(
                (
                    (*where, "match", "vendor"),
                    f"unknown vendor {name!r}{did_you_mean(name, vendors)} (known: {', '.join(sorted(vendors))})",
                )
            )
    scope = [vendors[v] for v in named if v in vendors] if named else list(vendors.values())
    if not scope:
        return problems, warnings
    ops = as_set(match.get("operation"))
    if ops:
        known_ops = {op for v in scope for op in operation_names(v)}
        for op in sorted(ops - known_ops):
            problems.append(
                (
                    (*where, "match", "operation"),
                    f"unknown operation {op!r}{did_you_mean(op, known_ops)}: not an operation of "
                    f"{', '.join(v.name for v in scope)} (known: {', '.join(sorted(known_ops))})",
                )
            )
    for path, spec in responses:
        ref = spec.get("error")
        if ref is None:
            continue
        message = _error_problem(str(ref), scope)
        if message is not None:
            problems.append(((*path, "error"), message))
    return problems, warnings


def _error_problem(ref: str, scope: list[EngineVendor]) -> str | None:
    """Why ``error: ref`` names no row in ``scope`` (None when it names one), with the closest
    name or text as a hint. A row may be named by its name, its code or the vendor's text."""
    if ref.startswith("@"):
        if ref[1:] in ERROR_KINDS:
            return None
        return f"unknown error kind {ref!r}{did_you_mean(ref, ['@' + k for k in ERROR_KINDS])} (known: " + (
            ", ".join("@" + k for k in ERROR_KINDS) + ")"
        )
    if any(resolve_error(v, ref) is not None for v in scope):
        return None
    vendors = ", ".join(v.name for v in scope)
    shared = [(v.name, [r.name for r in v.errors.with_text(ref)]) for v in scope]
    shared = [(name, rows) for name, rows in shared if rows]
    if shared:
        rows = "; ".join(f"{name}: {', '.join(names)}" for name, names in shared)
        return f"error {ref!r} is the text of several rows ({rows}): give the row's name"
    candidates = [name for v in scope for name in v.errors.names()]
    by_text = {row.message: row.name for v in scope for row in v.errors}
    # A reference with a space was copied from a text (names have none): look among the texts first.
    text = closest(ref, by_text) if " " in ref.strip() else None
    hint = f" (did you mean {by_text[text]!r}, {text!r}?)" if text is not None else did_you_mean(ref, candidates)
    return f"error {ref!r} is in no error table of {vendors}{hint}: give a row's name, code or text"


def check(located: Located, vendors: Mapping[str, EngineVendor] | None = None) -> tuple[list[str], list[str]]:
    """Every problem and warning of a scenario document, as ``file:line:col: rule NAME: message``."""
    data = located.data if located.data is not None else {}
    found = [describe(error) for error in _validator().iter_errors(data)]
    warnings: list[tuple[tuple, str]] = []
    # Rules the schema accepts get the checks it cannot make (a rule with schema errors is
    # skipped: its shape is unknown).
    broken = {p.path[1] for p in found if len(p.path) >= 2 and p.path[0] == "rules"}
    top_ok = all(len(p.path) >= 2 and p.path[0] == "rules" for p in found)
    if top_ok and isinstance(data, dict):
        if (data.get("magic_recipients") or data.get("error_header")) and vendors is not None and not vendors:
            warnings.append(((), "no vendor is mounted: the generated rules are empty"))
        for i, rule in enumerate(data.get("rules") or ()):
            if i in broken:
                continue
            p, w = _check_rule(rule, ("rules", i), vendors)
            found.extend(SchemaProblem(path, message) for path, message in p)
            warnings.extend(w)

    def fmt(items: list[SchemaProblem]) -> list[str]:
        def order(item: SchemaProblem) -> tuple[int, int]:
            known = item.path in (located.keys if item.at_key else located.marks)
            return located.position(item.path, key=item.at_key) if known else (10**9, 0)

        return [
            f"{located.where(p.path, key=p.at_key)}: {_rule_label(data, p.path)}{format_path(p.path)}: {p.message}"
            for p in sorted(items, key=order)
        ]

    return fmt(found), fmt([SchemaProblem(path, message) for path, message in warnings])


def validate(located: Located, vendors: Mapping[str, EngineVendor] | None = None) -> list[str]:
    """Every problem of a scenario document (see :func:`check`)."""
    return check(located, vendors)[0]


def looks_like_scenario(data: Any) -> bool:
    return isinstance(data, dict) and bool({"rules", "magic_recipients", "error_header"} & set(data))
