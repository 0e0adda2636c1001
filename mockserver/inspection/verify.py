"""``POST /_mock/verify``: assert on what the mock received, from any language's CI.

As WireMock's ``/__admin/requests/count`` and smocker's verify do: the request names what to
look for among the journaled messages and how many there must be; the answer is 200
``{"ok": true, "count": N}`` or 417 ``{"ok": false, "count": N, "expected": ..., "near_misses":
[...]}``. A shell step only needs ``curl -f`` (417 fails it), and the near misses say why: the
closest messages with, for each, the fields that differ from what was asked.

Decisions where the issue is silent:

* Criteria: ``vendor``, ``operation``, ``status`` compare exactly; ``recipient`` compares phone
  numbers as ``/_mock/messages?phone=`` does (national or international form); ``text`` is a
  regular expression searched in the message text (``re.search``, so ``"^Your code"`` anchors).
* The expectation is ``count`` (exactly), or ``at_least`` and/or ``at_most`` (a range); with
  none of them it is ``at_least: 1``.
* Near misses are messages that do not match, fewest differing fields first, newest first among
  equals; only when the check failed (for "too many" there are none: every extra one matched).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from mockserver.core import store as journal
from mockserver.core.store import Message
from mockserver.engine.services import Services
from mockserver.http.vendor import json_response

LIFECYCLE_STATES = frozenset(
    {
        journal.ACCEPTED,
        journal.SCHEDULED,
        journal.SENT,
        journal.PENDING,
        *journal.FINAL_STATES,
    }
)
CRITERIA = ("vendor", "operation", "recipient", "text", "status")
BOUNDS = ("count", "at_least", "at_most")
NEAR_MISSES = 5


class BadVerify(ValueError):
    """The request itself is wrong: answered 400 with this message."""


def _same_recipient(got: str, wanted: str) -> bool:
    """As the journal's phone filter: digits only, national or international form."""
    a, b = "".join(c for c in got if c.isdigit()), "".join(c for c in wanted if c.isdigit())
    return a == b or (min(len(a), len(b)) >= 9 and a.lstrip("0")[-9:] == b.lstrip("0")[-9:])


def parse(body: Any) -> tuple[dict[str, Any], dict[str, int]]:
    """(criteria, expectation) from the request body; raises BadVerify."""
    if not isinstance(body, dict):
        raise BadVerify("body must be a JSON object")
    unknown = sorted(set(body) - set(CRITERIA) - set(BOUNDS))
    if unknown:
        raise BadVerify(f"unknown field(s): {', '.join(unknown)}; use {', '.join(CRITERIA + BOUNDS)}")
    criteria: dict[str, Any] = {}
    for name in CRITERIA:
        if body.get(name) is None:
            continue
        value = body[name]
        if not isinstance(value, str) or value == "":
            raise BadVerify(f"{name} must be a non-empty string")
        criteria[name] = value
    if "status" in criteria and criteria["status"] not in LIFECYCLE_STATES:
        raise BadVerify(f"status must be one of {sorted(LIFECYCLE_STATES)}")
    if "text" in criteria:
        try:
            criteria["text"] = re.compile(criteria["text"])
        except re.error as exc:
            raise BadVerify(f"text is not a regular expression: {exc}") from None
    expected: dict[str, int] = {}
    for name in BOUNDS:
        if body.get(name) is None:
            continue
        value = body[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadVerify(f"{name} must be a whole number, 0 or more")
        expected[name] = value
    if "count" in expected and len(expected) > 1:
        raise BadVerify("give count, or at_least and/or at_most, not both")
    if expected.get("at_least", 0) > expected.get("at_most", float("inf")):
        raise BadVerify("at_least is more than at_most")
    return criteria, expected or {"at_least": 1}


# How a message is compared with each criterion: (its value as shown, does it match).
CHECKS: dict[str, Callable[[Message, Any], tuple[Any, bool]]] = {
    "vendor": lambda m, want: (m.vendor, m.vendor == want),
    "operation": lambda m, want: (m.operation, m.operation == want),
    "recipient": lambda m, want: (m.recipient, _same_recipient(m.recipient, want)),
    "text": lambda m, want: (m.text, want.search(m.text) is not None),
    "status": lambda m, want: (m.status, m.status == want),
}


def differences(message: Message, criteria: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, want in criteria.items():
        got, ok = CHECKS[name](message, want)
        if not ok:
            out[name] = {"expected": want.pattern if isinstance(want, re.Pattern) else want, "got": got}
    return out


def satisfied(count: int, expected: dict[str, int]) -> bool:
    if "count" in expected:
        return count == expected["count"]
    return expected.get("at_least", 0) <= count <= expected.get("at_most", count)


def verify(messages: list[Message], criteria: dict[str, Any], expected: dict[str, int]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, answer) for the journal ``messages`` (oldest first)."""
    count = 0
    misses: list[tuple[int, int, Message, dict]] = []
    for age, message in enumerate(reversed(messages)):  # newest first
        differ = differences(message, criteria)
        if not differ:
            count += 1
        else:
            misses.append((len(differ), age, message, differ))
    if satisfied(count, expected):
        return 200, {"ok": True, "count": count}
    too_many = count > expected.get("count", expected.get("at_most", count))
    near = [] if too_many else sorted(misses, key=lambda m: (m[0], m[1]))[:NEAR_MISSES]
    return 417, {
        "ok": False,
        "count": count,
        "expected": expected,
        "near_misses": [
            {
                "id": m.id,
                "vendor": m.vendor,
                "operation": m.operation,
                "recipient": m.recipient,
                "status": m.status,
                "text": m.text,
                "created_at": m.created_at,
                "differs": differ,
            }
            for _, _, m, differ in near
        ],
    }


def register(app: web.Application, services: Services) -> None:
    store = services.store

    async def handle(request: web.Request) -> web.Response:
        try:
            body = await request.json() if request.body_exists else {}
        except ValueError:
            return json_response({"error": "body is not valid JSON"}, status=400)
        try:
            criteria, expected = parse(body)
        except BadVerify as exc:
            return json_response({"error": str(exc)}, status=400)
        status, answer = verify(list(store.messages.values()), criteria, expected)
        return json_response(answer, status=status)

    app.router.add_post("/verify", handle)
