"""``mockserver contract check FILE``: where recorded real traffic differs from our schemas.

Input: a HAR file (browser dev tools, mitmproxy, Charles...) or JSON Lines, one exchange a line::

    {"request": {"method": "POST", "url": "https://services.smartsmsbulk.com/api/v2/SendSMS",
                 "headers": {"Content-Type": "application/json"}, "body": {...} or "text"},
     "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": {...} or "text"}}

Each exchange is matched to a vendor operation by its URL (a real host, or a path under the
mock's prefix); others are counted and ignored. For each one: the request body and query against
the ``request``/``query`` schemas, the response against ``success``/``error``, an error answer's
code (``x-error-key``) against the vendor's error table, and its HTTP status against the row's.
The report is a table per operation and the list of differences with how often each was seen.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from mockserver.contracts import schemas as contracts
from mockserver.contracts.strict import SKIP, request_body

if TYPE_CHECKING:
    from mockserver.http.vendor import Vendor


class TrafficError(ValueError):
    """The file is neither HAR nor JSON Lines of exchanges."""


@dataclass(frozen=True, slots=True)
class Exchange:
    method: str
    url: str
    request_media: str | None
    request_body: bytes
    status: int
    response_media: str
    response_body: bytes


@dataclass(frozen=True, slots=True)
class Drift:
    vendor: str
    operation: str
    where: str  # "request body", "request query", "response", "error code", "status"
    field: str
    expected: str
    got: str


def _headers(value: Any) -> dict[str, str]:
    if isinstance(value, list):  # HAR: [{"name", "value"}]
        return {str(h.get("name", "")).lower(): str(h.get("value", "")) for h in value if isinstance(h, Mapping)}
    if isinstance(value, Mapping):
        return {str(k).lower(): str(v) for k, v in value.items()}
    return {}


def _body(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _media(headers: Mapping[str, str], fallback: str | None = None) -> str | None:
    value = headers.get("content-type") or fallback
    return value.split(";")[0].strip().lower() if value else None


def _from_har(data: Mapping[str, Any]) -> Iterator[Exchange]:
    for entry in data.get("log", {}).get("entries", []):
        req, resp = entry.get("request") or {}, entry.get("response") or {}
        post = req.get("postData") or {}
        content = resp.get("content") or {}
        text = content.get("text") or ""
        raw = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode("utf-8")
        yield Exchange(
            method=str(req.get("method", "GET")),
            url=str(req.get("url", "")),
            request_media=_media(_headers(req.get("headers")), post.get("mimeType")),
            request_body=_body(post.get("text")),
            status=int(resp.get("status") or 0),
            response_media=_media(_headers(resp.get("headers")), content.get("mimeType")) or "",
            response_body=raw,
        )


def _from_line(data: Mapping[str, Any]) -> Exchange:
    req, resp = data.get("request") or {}, data.get("response") or {}
    req_headers, resp_headers = _headers(req.get("headers")), _headers(resp.get("headers"))
    req_body, resp_body = req.get("body"), resp.get("body")
    return Exchange(
        method=str(req.get("method", "GET")),
        url=str(req.get("url", "")),
        request_media=_media(req_headers, "application/json" if isinstance(req_body, dict | list) else None),
        request_body=_body(req_body),
        status=int(resp.get("status") or 0),
        response_media=_media(resp_headers, "application/json" if isinstance(resp_body, dict | list) else "text/plain")
        or "",
        response_body=_body(resp_body),
    )


def read_traffic(path: Path) -> list[Exchange]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, Mapping) and "log" in whole:
        return list(_from_har(whole))
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise TrafficError(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(data, Mapping) or "request" not in data:
            raise TrafficError(f'{path}:{number}: expected {{"request": ..., "response": ...}}')
        out.append(_from_line(data))
    return out


def _known_keys(vendor: Vendor, table: str) -> set[str]:
    rows = list(vendor.errors)
    if table == "name":
        return {r.name for r in rows}
    if table == "code":
        return {str(r.code) for r in rows if r.code is not None}
    if table == "message":
        return {r.message for r in rows}
    return set()


def _row_status(vendor: Vendor, table: str, key: str) -> int | None:
    for row in vendor.errors:
        if (
            (table == "name" and row.name == key)
            or (table == "code" and str(row.code) == key)
            or (table == "message" and row.message == key)
        ):
            return row.status
    return None


def check_exchange(vendor: Vendor, operation: str, ex: Exchange) -> list[Drift]:
    oc = contracts.operation(vendor, operation)
    out: list[Drift] = []

    def add(where: str, problem: contracts.Problem) -> None:
        out.append(Drift(vendor.name, operation, where, problem.field, problem.expected, problem.got))

    split = urlsplit(ex.url)
    if oc.has("query"):
        for p in oc.problems("query", dict(parse_qsl(split.query, keep_blank_values=True))):
            add("request query", p)
    if oc.has("request"):
        body = request_body(ex.request_media, ex.request_body)
        if body is not SKIP:
            for p in oc.problems("request", body):
                add("request body", p)
    if 300 <= ex.status < 400 and not ex.response_body.strip():
        return out
    checkable, instance = oc.response_instance(ex.response_media or oc.response_media, ex.response_body)
    if not checkable:
        return out
    kind, problems = oc.classify(instance)
    for p in problems:
        add("response", p)
    if kind == "error":
        spec = oc.meta("error-key") or {}
        table = spec.get("table", "none")
        key = oc.error_key(instance)
        if key is not None and table != "none":
            if key not in _known_keys(vendor, table):
                out.append(
                    Drift(
                        vendor.name,
                        operation,
                        "error code",
                        spec.get("pointer") or "(body)",
                        f"an error {table} of our table",
                        contracts.show(key),
                    )
                )
            else:
                status = _row_status(vendor, table, key)
                if status is not None and status != ex.status:
                    out.append(
                        Drift(vendor.name, operation, "status", contracts.show(key), str(status), str(ex.status))
                    )
    elif kind == "success" and ex.status and ex.status != oc.success_status and ex.status >= 400:
        out.append(Drift(vendor.name, operation, "status", "(success answer)", str(oc.success_status), str(ex.status)))
    return out


@dataclass
class Report:
    source: str
    exchanges: int
    unmatched: int
    per_operation: Counter[tuple[str, str]]
    drift: Counter[Drift]

    @property
    def drifted(self) -> bool:
        return bool(self.drift)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "exchanges": self.exchanges,
            "unmatched": self.unmatched,
            "operations": [
                {
                    "vendor": v,
                    "operation": o,
                    "exchanges": n,
                    "drift": sum(c for d, c in self.drift.items() if (d.vendor, d.operation) == (v, o)),
                }
                for (v, o), n in sorted(self.per_operation.items())
            ],
            "drift": [
                {
                    "vendor": d.vendor,
                    "operation": d.operation,
                    "where": d.where,
                    "field": d.field,
                    "expected": d.expected,
                    "got": d.got,
                    "seen": n,
                }
                for d, n in sorted(
                    self.drift.items(),
                    key=lambda item: (item[0].vendor, item[0].operation, item[0].where, item[0].field),
                )
            ],
        }


def check(path: Path, vendors: Mapping[str, Vendor]) -> Report:
    exchanges = read_traffic(path)
    per_op: Counter[tuple[str, str]] = Counter()
    drift: Counter[Drift] = Counter()
    unmatched = 0
    for ex in exchanges:
        split = urlsplit(ex.url)
        found = contracts.match_operation(vendors, ex.method, split.netloc, split.path)
        if found is None:
            unmatched += 1
            continue
        vendor, operation = found
        per_op[(vendor.name, operation)] += 1
        drift.update(check_exchange(vendor, operation, ex))
    return Report(str(path), len(exchanges), unmatched, per_op, drift)


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def render(report: Report) -> str:
    data = report.to_dict()
    out = [
        f"Contract drift report for {report.source}: {report.exchanges} exchanges, "
        f"{report.exchanges - report.unmatched} matched a vendor operation, {report.unmatched} ignored",
        "",
        _table(
            [[o["vendor"], o["operation"], str(o["exchanges"]), str(o["drift"])] for o in data["operations"]],
            ["vendor", "operation", "exchanges", "drift"],
        ),
        "",
    ]
    if data["drift"]:
        out.append(f"{len(data['drift'])} difference(s) between the recorded traffic and the schemas:")
        out.append(
            _table(
                [
                    [d["vendor"], d["operation"], d["where"], d["field"], d["expected"], d["got"], str(d["seen"])]
                    for d in data["drift"]
                ],
                ["vendor", "operation", "where", "field", "expected", "got", "seen"],
            )
        )
    else:
        out.append("No drift: every recorded request and response fits the schemas.")
    return "\n".join(out)
