"""The one small interface every vendor implements, and the request context its handlers get.

A vendor declares its name, its error table, the generic-failure rows, the config schema of its
section, and one or more :class:`Mount` (a path prefix on the mock, the real host names, and
the operations served there). The core mounts each :class:`Mount` twice: under its prefix
(``/smartsmsbulk/api/v2/SendSMS``) and at the real paths for requests whose ``Host`` header is
one of the real host names (so ``/etc/hosts`` tricks work).

Handlers receive a :class:`Call`: the aiohttp request plus the shared core services, with the
body helpers that turn every malformed input into the vendor's own error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.errors import ErrorRow, ErrorTable, VendorError
from mockserver.core.store import Message, RequestRecord, header_block

if TYPE_CHECKING:
    from mockserver.engine.scenarios import SlowBody
    from mockserver.engine.services import Services

Handler = Callable[["Call"], Awaitable[web.StreamResponse]]
ErrorRenderer = Callable[["Call | None", ErrorRow, str, Mapping[str, Any]], web.StreamResponse]

JSON_TYPES = ("application/json",)
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Operation:
    name: str  # stable operation name used by scenarios and the journal: send_sms, otp_verify...
    method: str
    path: str  # the vendor's real path
    handler: Handler
    render_error: ErrorRenderer | None = None  # this operation's own error shape, if it differs
    summary: str = ""


@dataclass(frozen=True, slots=True)
class SampleRequest:
    """A complete, valid request to one of the vendor's operations, as a client would send it
    to the mock (``path`` includes the mount prefix). Scenario tests, benchmarks and the README
    build their traffic from these, so they need no vendor-specific code."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    operation: str


@dataclass(frozen=True, slots=True)
class Mount:
    prefix: str  # where the operations live on the mock: "/smartsmsbulk"
    hosts: tuple[str, ...]  # the vendor's real host names (with port where the vendor uses one)
    operations: tuple[Operation, ...]
    render_error: ErrorRenderer | None = None  # errors with no operation (404, 405)


# Compact JSON text with non-ASCII kept, as ``json.dumps(ensure_ascii=False, separators=(",", ":"))``
# writes it, from one encoder built once (``dumps`` with options builds one on every call). No
# circular-reference check: answers are trees.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_decode = json.JSONDecoder().decode


def _loads(raw: bytes) -> Any:
    """``json.loads(raw)``, skipping its encoding detection for the usual UTF-8 body (anything
    else, a BOM or UTF-16 included, goes the standard way and ends as it would have)."""
    try:
        return _decode(raw.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is one; loads raises again if the body is bad
        return json.loads(raw)


JSON_UTF8 = "application/json; charset=utf-8"


def compact_json(data: Any) -> bytes:
    """JSON as the vendors send it: compact, UTF-8, non-ASCII kept as is."""
    return _encode(data).encode("utf-8")


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    all_headers = {"Content-Type": JSON_UTF8}
    if headers:
        all_headers.update(headers)
    return web.Response(body=_encode(data).encode("utf-8"), status=status, headers=all_headers)


def text_response(text: str, status: int = 200, content_type: str = "text/plain") -> web.Response:
    return web.Response(text=text, status=status, content_type=content_type, charset="utf-8")


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


class Call:
    """One request to one vendor operation: the request, the core services and body helpers."""

    __slots__ = ("_raw", "_record", "account", "facts", "operation", "request", "services", "slow_body", "vendor")

    def __init__(self, request: web.Request, vendor: Vendor, operation: Operation) -> None:
        self.request = request
        self.vendor = vendor
        self.operation = operation
        self.services = vendor.services
        self._raw: bytes | None = None
        self._record: RequestRecord | None = None
        self.slow_body: SlowBody | None = None  # a scenario's slow_body plan for the answer
        self.account: str | None = None  # set by the handler once it knows who is calling
        self.facts: dict[str, Any] = {}

    # -- body helpers: every malformed input becomes the vendor's own error ------------------
    async def raw(self) -> bytes:
        if self._raw is None:
            try:
                self._raw = await self.request.read()
            except web.HTTPRequestEntityTooLarge:
                raise VendorError(self.vendor.generic_errors[E.TOO_LARGE]) from None
        return self._raw

    async def record(self) -> RequestRecord:
        """The request as the journal keeps it with each message it created (one record per
        request, shared by its messages); the core adds the answer once the handler returns."""
        record = self._record
        if record is None:
            raw = await self.raw()
            req = self.request
            record = self._record = RequestRecord(req.method, req.path_qs, header_block(req.raw_headers), raw)
        return record

    @property
    def record_made(self) -> RequestRecord | None:
        """The record :meth:`record` made, if the handler asked for one."""
        return self._record

    def media_type(self) -> str:
        return self.request.content_type  # "application/octet-stream" when absent

    def has_content_type(self) -> bool:
        return "Content-Type" in self.request.headers

    async def text(self) -> str:
        raw = await self.raw()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise VendorError(self.vendor.generic_errors[E.BAD_BODY]) from None

    async def json(self, *, types: tuple[type, ...] = (dict,), require_content_type: bool = True) -> Any:
        """The body parsed as JSON, of one of ``types``.

        A Content-Type that is present and not JSON is the vendor's media-type error (a missing
        one is tolerated: curl without ``-H`` and many HTTP libraries send none).
        """
        if require_content_type and "Content-Type" in self.request.headers and not self.is_json():
            raise VendorError(self.vendor.generic_errors[E.MEDIA_TYPE])
        raw = self._raw if self._raw is not None else await self.raw()
        try:
            data = _loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise VendorError(self.vendor.generic_errors[E.BAD_BODY]) from None
        if not isinstance(data, types):
            raise VendorError(self.vendor.generic_errors[E.BAD_BODY])
        if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(data):
            raise VendorError(self.vendor.generic_errors[E.BAD_BODY])
        return data

    def is_json(self) -> bool:
        ct = self.request.content_type
        return ct in JSON_TYPES or ct.endswith("+json")

    async def form(self) -> dict[str, str]:
        """A urlencoded body as a dict (last value wins); bad encoding is the vendor's error."""
        from urllib.parse import parse_qsl

        text = await self.text()
        try:
            return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict"))
        except (ValueError, UnicodeDecodeError):
            raise VendorError(self.vendor.generic_errors[E.BAD_BODY]) from None

    # -- the scenario gate -------------------------------------------------------------------
    async def consult(
        self,
        *,
        account: str | None = None,
        recipients: Sequence[str] = (),
        text: str | None = None,
        sender: str | None = None,
    ) -> None:
        """Ask the scenario engine what to do with this request before the vendor logic runs.

        Handlers call this once they have parsed and authenticated the request. A matching rule
        may delay the answer, replace it with a named vendor error (raised here as
        :class:`VendorError`), a raw response or a network fault.
        """
        if account is not None:
            self.account = account
        self.facts = {
            "vendor": self.vendor.name,
            "operation": self.operation.name,
            "account": self.account,
            "recipients": tuple(recipients),
            "text": text,
            "sender": sender,
        }
        await self.services.scenarios.apply(self)


class VendorHandlers:
    """Base of a vendor's handler collection (``routes.Handlers``): the handlers are registered
    once, and the vendor's model is looked up per call because a reset rebuilds it."""

    def __init__(self, vendor: Vendor) -> None:
        self.vendor = vendor

    @property
    def model(self) -> Any:
        return self.vendor.model


class Vendor:
    """Base class of a vendor. Subclasses set the class attributes and implement ``mounts``."""

    name: ClassVar[str]  # "smartsmsbulk": the path prefix, the journal's vendor key
    title: ClassVar[str]  # "SmartSMSBulk"
    country: ClassVar[str]  # "TH" / "VN"
    errors: ClassVar[ErrorTable]
    generic_errors: ClassVar[Mapping[str, str]]  # errors.GENERIC_KINDS -> row name
    package_dir: ClassVar[Path]  # holds schemas/config.schema.json and defaults.yaml
    model_class: ClassVar[Callable[..., Any] | None] = None  # (services, config) -> the vendor's model
    model: Any  # the vendor's state and rules, built from its config section by ``reset``
    _mounts: tuple[Mount, ...] | None = None
    # Config lists of callers -> the field whose value handlers put in ``call.account`` (strict
    # mode finds the accounts marked ``strict: true`` through it): {"accounts": "userId"}.
    account_fields: ClassVar[Mapping[str, str]] = {}

    def __init__(self, services: Services, config: Mapping[str, Any]) -> None:
        self.services = services
        self.config = config
        missing = set(E.GENERIC_KINDS) - set(self.generic_errors)
        if missing:
            raise TypeError(f"{self.name}: generic_errors lacks {sorted(missing)}")
        self.reset()

    # -- to implement ------------------------------------------------------------------------
    def build_mounts(self) -> Sequence[Mount]:
        """The vendor's mounts; called once (see :meth:`mounts`)."""
        raise NotImplementedError

    def reset(self) -> None:
        """(Re)build the vendor's state from its config section: balances, OTPs, tokens."""
        if self.model_class is not None:
            self.model = self.model_class(self.services, self.config)

    def mounts(self) -> tuple[Mount, ...]:
        """The mounts, built once: the app registers their handlers, which therefore look the
        model up per call (``POST /_mock/reset`` replaces it)."""
        if self._mounts is None:
            self._mounts = tuple(self.build_mounts())
        return self._mounts

    def render_error(
        self, call: Call | None, row: ErrorRow, detail: str, context: Mapping[str, Any]
    ) -> web.StreamResponse:
        raise NotImplementedError

    def on_status(self, message: Message) -> None:
        """Called by the delivery lifecycle when a message reaches a new state."""

    def describe(self) -> dict[str, Any]:
        """Demo credentials and such, for the CLI banner, README and UI."""
        return {}

    def sample_send(self, recipient: str, text: str = "Hello from sms-mockserver") -> SampleRequest:
        """A valid single-recipient send with the first demo account of the bundled config."""
        raise NotImplementedError

    def sample_recipient(self, n: int) -> str:
        """The ``n``-th number of a range of valid recipient numbers in the vendor's own format,
        reserved for magic recipients (``n`` from 0 to 999)."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------
    def error_response(self, call: Call | None, exc: VendorError) -> web.StreamResponse:
        row = self.errors[exc.name]
        detail = exc.detail if exc.detail is not None else row.message
        renderer = None
        if call is not None and call.operation.render_error is not None:
            renderer = call.operation.render_error
        if renderer is None:
            return self.render_error(call, row, detail, exc.context)
        return renderer(call, row, detail, exc.context)

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        """The JSON Schema of this vendor's section of the config file."""
        path = cls.package_dir / "schemas" / "config.schema.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"type": "object"}

    @classmethod
    def defaults_path(cls) -> Path:
        """The vendor's bundled demo accounts (merged into the default config)."""
        return cls.package_dir / "defaults.yaml"
