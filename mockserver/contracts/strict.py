"""Strict mode: requests the vendor tolerated but that break its documented contract.

A vendor answers what it refuses with its own error, as always. Strict mode looks at the rest:
every request a handler *accepted* (journal outcome ``ok``) is checked against the operation's
``request`` and ``query`` schemas (:mod:`mockserver.contracts.schemas`), and each break (an unknown
field, a string where the document says int, an undocumented phone format) is recorded as a
:class:`Violation`: ``GET /_mock/violations`` lists them and the answer carries
``X-Mock-Contract-Violation``.

Strict mode is on for every vendor with ``mockserver serve --strict`` (``create_app(strict=True)``),
or per vendor (``vendors: {thaibulksms: {strict: true}}``) or per account (``strict: true`` on an
account entry) in the config. When nothing is strict, :func:`build` returns None and the vendor
middleware does no work at all.

Only JSON and urlencoded bodies are checked; XML (ANTS) and multipart bodies are skipped, since
their values arrive as text and would report every number as a violation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from mockserver.contracts import schemas as contracts
from mockserver.http.vendor import FORM_TYPE

if TYPE_CHECKING:
    from aiohttp import web

    from mockserver.core.config import Config
    from mockserver.http.vendor import Call, Vendor

HEADER = "X-Mock-Contract-Violation"
MAX_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class Violation:
    id: int
    at: float
    request_id: str
    vendor: str
    operation: str
    account: str | None
    method: str
    path: str
    location: str  # "body" or "query"
    field: str
    expected: str
    got: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "request_id": self.request_id,
            "vendor": self.vendor,
            "operation": self.operation,
            "account": self.account,
            "method": self.method,
            "path": self.path,
            "location": self.location,
            "field": self.field,
            "expected": self.expected,
            "got": self.got,
            "message": self.message,
        }


SKIP = object()


def request_body(media: str | None, raw: bytes) -> Any:
    """The body as data for checking, or ``SKIP`` (empty, XML, multipart, unparseable: an
    unparseable body was refused by the vendor already)."""
    import json

    if not raw.strip():
        return SKIP
    media = (media or "").lower()
    if media == "application/json" or media.endswith("+json") or (not media and raw.lstrip()[:1] in (b"{", b"[")):
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return SKIP
    if media == FORM_TYPE or not media:
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict"))
        except (ValueError, UnicodeDecodeError):
            return SKIP
    return SKIP


def _header_text(text: str) -> str:
    text = " ".join(text.split())
    return text.encode("ascii", "backslashreplace").decode("ascii")[:400]


class StrictChecker:
    def __init__(
        self, *, everything: bool, vendors: Iterable[str], accounts: Iterable[tuple[str, str]], clock: Any
    ) -> None:
        self.everything = everything
        self.vendors = frozenset(vendors)
        self.accounts = frozenset(accounts)
        self.clock = clock
        self.violations: deque[Violation] = deque(maxlen=MAX_KEPT)
        self.total = 0  # every violation since start-up; /_mock/reset does not forget them
        self._seq = 0

    def applies(self, vendor: str, account: str | None) -> bool:
        return self.everything or vendor in self.vendors or (vendor, account or "") in self.accounts

    def describe(self) -> dict[str, Any]:
        return {
            "everything": self.everything,
            "vendors": sorted(self.vendors),
            "accounts": [{"vendor": v, "account": a} for v, a in sorted(self.accounts)],
        }

    def clear(self) -> None:
        self.violations.clear()

    async def check(self, call: Call, response: web.StreamResponse) -> list[Violation]:
        """Record the contract breaks of an accepted request; mark its answer with the header."""
        vendor = call.vendor
        if not self.applies(vendor.name, call.account):
            return []
        contract = contracts.for_vendor(vendor).get(call.operation.name)
        if contract is None:
            return []
        found: list[tuple[str, contracts.Problem]] = []
        if contract.has("query"):
            found += [("query", p) for p in contract.problems("query", dict(call.request.query))]
        if contract.has("request"):
            media = call.media_type() if call.has_content_type() else None
            body = request_body(media, await call.raw())
            if body is not SKIP:
                found += [("body", p) for p in contract.problems("request", body)]
        if not found:
            return []
        request = call.request
        self._seq += 1
        request_id = request.headers.get("X-Request-Id") or f"req-{self._seq}"
        now = self.clock.now()
        out = []
        for location, problem in found:
            violation = Violation(
                id=self.total + 1,
                at=now,
                request_id=request_id,
                vendor=vendor.name,
                operation=call.operation.name,
                account=call.account,
                method=request.method,
                path=request.path_qs,
                location=location,
                field=problem.field,
                expected=problem.expected,
                got=problem.got,
                message=problem.message,
            )
            self.total += 1
            self.violations.append(violation)
            out.append(violation)
        if not response.prepared:
            first = out[0]
            response.headers[HEADER] = _header_text(
                f"{len(out)}; request={request_id}; "
                f"{first.location}.{first.field}: expected {first.expected}, got {first.got}"
            )
        return out


def build(config: Config, vendors: Mapping[str, Vendor], *, everything: bool, clock: Any) -> StrictChecker | None:
    """The checker the config and the command line ask for, or None when nothing is strict.

    Compiles the schemas of the vendors concerned now (start-up), not on the first request.
    """
    strict_vendors: list[str] = []
    strict_accounts: list[tuple[str, str]] = []
    for name, vendor in vendors.items():
        section = config.vendor(name)
        if section.get("strict") is True:
            strict_vendors.append(name)
        for list_name, key in vendor.account_fields.items():
            for entry in section.get(list_name) or []:
                if isinstance(entry, Mapping) and entry.get("strict") is True and entry.get(key) is not None:
                    strict_accounts.append((name, str(entry[key])))
    if not (everything or strict_vendors or strict_accounts):
        return None
    concerned = {n for n, _ in strict_accounts} | set(strict_vendors)
    contracts.load_all(v for n, v in vendors.items() if everything or n in concerned)
    return StrictChecker(everything=everything, vendors=strict_vendors, accounts=strict_accounts, clock=clock)
