"""Rules generated at load time for every mounted vendor, through the vendor Protocol only
(so vendors added later are covered unchanged): ``magic_recipients: true`` (documented recipient
numbers that answer each error row of the vendor's "recipient"/"send" rows, or end in a delivery
outcome) and ``error_header: NAME`` (a request header that picks any error row by name).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mockserver.core.errors import ErrorRow
from mockserver.core.store import EXPIRED, FAILED, PENDING, REJECTED
from mockserver.engine.interfaces import EngineVendor

# Magic recipient numbers: ``sample_recipient(n)`` with n = MAGIC_ERROR_BASE + the row's index
# among the vendor's "recipient"/"send" rows, and these fixed n for delivery outcomes.
MAGIC_ERROR_BASE = 1
MAGIC_DELIVERY = ((900, FAILED), (901, EXPIRED), (902, PENDING), (903, REJECTED))
MAGIC_CONCERNS = ("recipient", "send")


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


def send_operations(vendor: EngineVendor) -> tuple[str, ...]:
    """The operations flagged ``sends`` (``Operation(sends=True)``): magic error numbers apply there."""
    return tuple(op.name for mount in vendor.mounts() for op in mount.operations if op.sends)


def magic_numbers(vendors: Iterable[EngineVendor]) -> list[MagicNumber]:
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


def magic_rules(vendors: Iterable[EngineVendor]) -> list[dict[str, Any]]:
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


def error_header_rules(vendors: Iterable[EngineVendor], header: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{header} {vendor.name} {row.name}",
            "match": {"vendor": vendor.name, "header": {header: row.name}},
            "respond": {"error": row.name},
        }
        for vendor in vendors
        for row in vendor.errors
    ]


def magic_markdown(vendors: Iterable[EngineVendor]) -> str:
    """The magic recipient table as markdown (``mockserver magic``, the README)."""
    lines = [
        "| vendor | recipient | outcome | HTTP | vendor's answer |",
        "|---|---|---|---|---|",
    ]
    for m in magic_numbers(vendors):
        if m.row is not None:
            code = f" (code `{m.row.code}`)" if m.row.code is not None else ""
            answer = "`" + m.row.message.replace("|", "\\|") + "`" + code
            where = ", ".join(m.operations) or "every operation"
            lines.append(f"| {m.vendor} | `{m.number}` | error `{m.outcome}` on {where} | {m.row.status} | {answer} |")
        else:
            outcome = f"accepted, delivery ends `{m.outcome}`"
            lines.append(f"| {m.vendor} | `{m.number}` | {outcome} | 200 | the vendor's success answer |")
    return "\n".join(lines) + "\n"
