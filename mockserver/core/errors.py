"""Error tables: each vendor's documented errors as data.

A vendor's table is a list of :class:`ErrorRow`. Handlers raise :class:`VendorError` with a
row's name; the vendor renders the row in its own shape. Tests iterate over the tables, the
scenario engine resolves ``error: NAME`` (or a numeric code) through them, and the magic
recipient numbers are generated from the rows whose ``concerns`` is about a recipient or a send.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# What a row is about; the scenario engine's magic numbers use "recipient" and "send" rows.
CONCERNS = ("request", "auth", "account", "recipient", "send", "system", "routing")

# The failures every vendor must answer in its own format. A vendor maps each of these kinds
# to one row of its own table (``Vendor.generic_errors``).
BAD_BODY = "bad_body"  # malformed JSON / XML / form, wrong top-level type, bad unicode
MEDIA_TYPE = "media_type"  # Content-Type the operation does not take
TOO_LARGE = "too_large"  # body over the size limit
NOT_FOUND = "not_found"  # unknown path under a vendor's prefix or host
METHOD_NOT_ALLOWED = "method_not_allowed"
INTERNAL = "internal"  # an unexpected exception in our code: still the vendor's shape
GENERIC_KINDS = (BAD_BODY, MEDIA_TYPE, TOO_LARGE, NOT_FOUND, METHOD_NOT_ALLOWED, INTERNAL)
# Optional kinds a vendor may map too; scenarios name them ``@rate_limited`` / ``@unavailable``.
# Unmapped, the scenario engine falls back to the table's first 429 (503) row, and then to a
# 429 "Too many requests" in the vendor's own shape (to the INTERNAL row).
RATE_LIMITED = "rate_limited"  # over the vendor's requests-per-second limit
UNAVAILABLE = "unavailable"  # the vendor is down for maintenance / overloaded
OPTIONAL_KINDS = (RATE_LIMITED, UNAVAILABLE)


@dataclass(frozen=True, slots=True)
class ErrorRow:
    name: str  # stable key, the vendor's own error name where it has one
    status: int  # HTTP status the vendor answers with
    message: str  # the vendor's text, exactly
    code: int | str | None = None  # the vendor's numeric/string code, if it has one
    concerns: str = "request"
    documented: bool = True  # False where the text is our decision (see the vendor's docstring)
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.concerns not in CONCERNS:
            raise ValueError(f"{self.name}: unknown concerns {self.concerns!r}")


class ErrorTable:
    """An ordered, immutable set of rows, looked up by name or by code."""

    def __init__(self, vendor: str, rows: Iterable[ErrorRow]) -> None:
        self.vendor = vendor
        self._rows = tuple(rows)
        self._by_name: dict[str, ErrorRow] = {}
        self._by_code: dict[str, ErrorRow] = {}
        self._by_text: dict[str, list[ErrorRow]] = {}
        for row in self._rows:
            if row.name in self._by_name:
                raise ValueError(f"{vendor}: duplicate error name {row.name}")
            self._by_name[row.name] = row
            if row.code is not None:
                self._by_code.setdefault(str(row.code), row)
            self._by_text.setdefault(_text_key(row.message), []).append(row)

    def __getitem__(self, name: str) -> ErrorRow:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[ErrorRow]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def find(self, name_or_code: str | int) -> ErrorRow | None:
        """The row named ``name_or_code``, whose code is it, or whose text it is (scenario
        ``error:`` values). People copy an error from the vendor's answer or document
        (``Invalid checksum``), so the text counts too, compared without case, spacing or a
        final full stop; a text that several rows share names none of them (see :meth:`with_text`)."""
        key = str(name_or_code)
        found = self._by_name.get(key) or self._by_code.get(key)
        if found is None:
            rows = self._by_text.get(_text_key(key))
            if rows is not None and len(rows) == 1:
                return rows[0]
        return found

    def with_text(self, text: str) -> list[ErrorRow]:
        """Every row whose text is ``text`` (compared as :meth:`find` does)."""
        return list(self._by_text.get(_text_key(text), ()))

    def names(self) -> list[str]:
        return list(self._by_name)


def _text_key(text: str) -> str:
    return " ".join(text.split()).rstrip(".").casefold()


class VendorError(Exception):
    """Raised by a handler to answer with one row of its vendor's table.

    ``detail`` overrides the row's text where the vendor fills in specifics; ``context`` carries
    values the vendor's error shape echoes back (a refId, a bulk's totals...).
    """

    def __init__(self, name: str, detail: str | None = None, **context: Any) -> None:
        super().__init__(name)
        self.name = name
        self.detail = detail
        self.context = context
