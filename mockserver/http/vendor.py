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

import asyncio
import copy
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

from mockserver.core import errors as E
from mockserver.core.errors import ErrorRow, ErrorTable, VendorError
from mockserver.core.store import InboundRecord, Message, RequestRecord, header_block
from mockserver.engine.scenarios import Facts

if TYPE_CHECKING:
    from mockserver.core.store import Message
    from mockserver.engine.scenarios import SlowBody
    from mockserver.engine.services import Services

Handler = Callable[["Call"], Awaitable[web.StreamResponse]]
ErrorRenderer = Callable[["Call | None", ErrorRow, str, Mapping[str, Any]], web.StreamResponse]

# The path's variables of a request served at a vendor's real host: that router is not the
# application's, so ``request.match_info`` does not hold them (see :attr:`Call.params`).
PATH_PARAMS = web.RequestKey("mockserver.path_params", dict)

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
    # The operation sends messages to recipients: the magic error numbers apply to it (and a
    # vendor added later gets them by setting this, whatever its operations are called).
    sends: bool = False


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
class LoadSend:
    """One of a vendor's send operations as the stress test, the benchmark and the soak drive it.

    ``make(n)`` is request ``n`` of an endless series of valid requests, each distinct from every
    other ``n`` of the series (recipient and text vary) and outside the magic numbers, so that no
    vendor refuses a repeat and no scenario rule changes the answer. A new vendor's sends are
    load-tested and benchmarked by implementing :meth:`Vendor.load_sends`; nothing else names it."""

    label: str  # the benchmark's row: "SmartSMSBulk SendSMS"
    make: Callable[[int], SampleRequest]
    pool: int | None = None  # a fixed number of distinct requests (for costly ones), whatever is asked


@dataclass(frozen=True, slots=True)
class Mount:
    prefix: str  # where the operations live on the mock: "/smartsmsbulk"
    hosts: tuple[str, ...]  # the vendor's real host names (with port where the vendor uses one)
    operations: tuple[Operation, ...]
    render_error: ErrorRenderer | None = None  # errors with no operation (404, 405)


# -- inbound SMS (SMS 2-way): what a vendor with an inbound API implements ---------------------
@dataclass(frozen=True, slots=True)
class InboundRequest:
    """A subscriber's SMS to a customer, as ``POST /_mock/inbound`` gives it (core fields
    checked for type and presence; their meaning is the vendor's)."""

    sender: str  # the subscriber's number ("from"), as given
    text: str
    keyword: str | None
    account: str | None  # None: the vendor's first account
    url: str | None  # None: the account's configured inbound URL
    options: Mapping[str, Any]  # the rest of the POST body: the vendor's own options


class InboundRefused(ValueError):
    """The inbound request cannot be sent (unknown account, no URL, a bad option): ``/_mock/``
    answers 400 with this text."""


@dataclass(frozen=True, slots=True)
class InboundAnswer:
    """The customer's answer to an inbound POST, read by the vendor."""

    success: bool  # the customer accepted the message (ANTS ``RESULT_CODE`` 00)
    code: str | None = None
    name: str | None = None
    reply: str | None = None  # the SMS text the customer wants sent back to the subscriber
    body: Any = None  # the answer as parsed (JSON), or its text when it was no JSON
    problems: tuple[str, ...] = ()  # how it breaks the vendor's contract: not empty = a violation

    def to_dict(self) -> dict[str, Any]:
        return {"success": self.success, "code": self.code, "name": self.name, "reply": self.reply, "body": self.body}


@dataclass(frozen=True, slots=True)
class InboundPlan:
    """What the vendor POSTs to the customer for one inbound message, and how it reads and acts
    on the answer. The core sends it through the callback dispatcher (retries, journal,
    allow-list) and journals the outcome."""

    url: str
    body: bytes
    headers: Mapping[str, str]
    account: str
    sender: str  # the subscriber's number in the vendor's format
    keyword: str | None
    transaction_id: str | None
    # parse(HTTP status, body): only called for an answer the dispatcher counts as received (2xx).
    parse: Callable[[int, bytes], InboundAnswer]
    # answered(record, answer): after a contract-conform answer; journals the reply SMS (returned).
    answered: Callable[[InboundRecord, InboundAnswer], Message | None] | None = None
    fields: Mapping[str, Any] = dataclass_field(default_factory=dict)


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


# Copied for each answer: cheaper than aiohttp building a CIMultiDict from a dict every time.
_JSON_HEADERS: CIMultiDict[str] = CIMultiDict({"Content-Type": JSON_UTF8})


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    all_headers = _JSON_HEADERS.copy()
    if headers:
        for name, value in headers.items():  # update() semantics: a given header replaces ours
            all_headers[name] = value
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
        self.facts: Facts | None = None  # what the handler told the scenario gate

    # -- body helpers: every malformed input becomes the vendor's own error ------------------
    async def raw(self) -> bytes:
        """The whole body, within the server's ``body_timeout``: a client that sends it slower
        gets the vendor's bad-body error and its connection is closed after the answer."""
        if self._raw is None:
            try:
                if self.request.content.is_eof():  # the whole body is in: read() cannot wait, no deadline needed
                    self._raw = await self.request.read()
                else:
                    async with asyncio.timeout(self.vendor.body_timeout):
                        self._raw = await self.request.read()
            except web.HTTPRequestEntityTooLarge:
                raise VendorError(self.vendor.generic_errors[E.TOO_LARGE]) from None
            except TimeoutError:  # aiohttp closes the connection after the answer: the body is unread
                raise VendorError(self.vendor.generic_errors[E.BAD_BODY]) from None
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
    def params(self) -> Mapping[str, str]:
        """The variables of the operation's path (``/{code}``), wherever it was served."""
        return self.request.get(PATH_PARAMS) or self.request.match_info

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
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested ~10k deep
            raise VendorError(self.vendor.generic_errors[E.BAD_BODY]) from None
        if not isinstance(data, types):
            raise VendorError(self.vendor.generic_errors[E.BAD_BODY])
        try:
            lone = _SURROGATE_ESCAPE.search(raw) is not None and _has_lone_surrogate(data)
        except RecursionError:  # parsed, but too deep to walk
            lone = True
        if lone:
            raise VendorError(self.vendor.generic_errors[E.BAD_BODY])
        return data

    def is_json(self) -> bool:
        ct = self.request.content_type
        return ct in JSON_TYPES or ct.endswith("+json")

    async def form(self) -> dict[str, str]:
        """A urlencoded body as a dict (last value wins); bad encoding is the vendor's error."""
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
        facts = self.facts = Facts(self.vendor.name, self.operation.name, self.account, tuple(recipients), text, sender)
        decision = await self.services.scenarios.apply(facts, self.request.headers, self)
        if decision is not None:
            self.slow_body = decision.slow  # the vendor middleware dribbles the answer
            if decision.interrupt is not None:
                raise decision.interrupt

    def render_row(self, row: ErrorRow, detail: str) -> web.StreamResponse:
        """``row`` in this operation's error shape, for a row the vendor's table does not hold
        (the engine's :class:`~mockserver.engine.interfaces.ErrorRenderer`)."""
        renderer = self.operation.render_error or self.vendor.render_error
        return renderer(self, row, detail, {})


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

    def __init__(self, services: Services[Vendor], config: Mapping[str, Any]) -> None:
        self.services = services
        self.config = config
        # Seconds a request has to send its body (config ``server.body_timeout``), read once.
        self.body_timeout = float(services.config.section("server").get("body_timeout", 30))
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

    def state(self) -> Any:
        """The vendor's run-time state as JSON-able data, for a saved world (``--data-dir``) and
        ``mockserver export``: what the vendor's traffic changed (balances, OTPs, tokens,
        campaigns, id counters), not what its config says. The default asks the model's
        ``snapshot()``; a vendor whose model has none keeps nothing over a restart (None)."""
        snapshot = getattr(self.model, "snapshot", None) if self.model_class is not None else None
        return snapshot() if snapshot is not None else None

    def restore(self, state: Any) -> None:
        """Bring the model, freshly built from the config, to a :meth:`state` saved earlier. Runs
        after the shared journal is restored, so the model may look its messages and OTPs up
        there; accounts no longer in the config are skipped."""
        restore = getattr(self.model, "restore", None) if self.model_class is not None else None
        if restore is not None and state is not None:
            restore(state)

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

    def reports_on(self, message: Message) -> bool:
        """Whether :meth:`on_status` does anything for ``message`` (sends a delivery report, say).
        A message it does nothing for has its lifecycle only planned, read off the clock, with
        nothing scheduled (``Delivery.track``). The default: reports go to a callback URL, so a
        message without one has none. A vendor whose ``on_status`` acts otherwise overrides it."""
        return message.callback_url is not None

    def describe(self) -> dict[str, Any]:
        """Demo credentials and such, for the CLI banner, README and UI."""
        return {}

    def inbound(self, request: InboundRequest) -> InboundPlan:
        """What to POST to the customer for a subscriber's SMS (``POST /_mock/inbound``), for a
        vendor whose documents publish an inbound (2-way) API; raise :class:`InboundRefused`
        for a request that cannot be sent. Vendors without one leave it alone."""
        raise NotImplementedError

    @property
    def has_inbound(self) -> bool:
        """Whether the vendor implements :meth:`inbound` (``/_mock/inbound`` names them)."""
        return type(self).inbound is not Vendor.inbound

    def sample_send(self, recipient: str, text: str = "Hello from sms-mockserver") -> SampleRequest:
        """A valid single-recipient send with the first demo account of the bundled config."""
        raise NotImplementedError

    def sample_recipient(self, n: int) -> str:
        """The ``n``-th number of a range of valid recipient numbers in the vendor's own format,
        reserved for magic recipients (``n`` from 0 to 999)."""
        raise NotImplementedError

    # -- load tests: the stress test, the benchmark and the soak build their traffic from these --
    def load_recipient(self, n: int) -> str:
        """The ``n``-th of a range of valid recipient numbers outside :meth:`sample_recipient`'s,
        distinct for ``n`` from 0 to 999,999, written as the journal keeps them."""
        raise NotImplementedError

    def load_sends(self) -> Sequence[LoadSend]:
        """The vendor's send operations under load. The first is its main single-recipient send
        (one request, one message to ``load_recipient(n)``); more may follow (bulk sends)."""
        return (LoadSend(f"{self.title} send", lambda n: self.sample_send(self.load_recipient(n), f"load {n}")),)

    def credit_left(self) -> float | None:
        """The credit left on the account :meth:`load_sends` uses, in the unit of
        ``Message.credits``; None when the vendor keeps no balance (the stress test then has
        nothing to reconcile)."""
        return None

    @classmethod
    def without_limits(cls, section: Mapping[str, Any], credit: int) -> dict[str, Any]:
        """A copy of this vendor's config ``section`` in which every account has ``credit`` to
        spend and no rate limit a load test could reach. The default suits a vendor with
        neither."""
        return copy.deepcopy(dict(section))

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
