"""Who may use ``/_mock/``: the admin token, the Host check and the Origin check, and JSON errors.

``/_mock/`` can read every OTP code and stored ``Authorization`` header and can reset, rewind or
break the mock, so it is guarded in three layers (``admin:`` in the config):

* **Host** (always on): only requests whose ``Host`` names a loopback host (``localhost``,
  ``*.localhost``, ``127.0.0.0/8``, ``::1``), the address the connection came in on (the bound
  address, or the interface a ``0.0.0.0`` server was reached on), or a name in
  ``admin.allowed_hosts`` (``*.example.com`` for subdomains). A DNS-rebinding page reaches the
  mock under its own name (``Host: evil.example``) and is refused, whatever the token.
* **Origin** (always on): POST, PUT, PATCH and DELETE carrying an ``Origin`` of another origin
  (or ``null``), or ``Sec-Fetch-Site: cross-site``/``same-site``, are refused. A form a foreign
  page submits carries ``Origin`` in every current browser, so a form content type without an
  ``Origin`` is let through: that is curl and scripts (``curl --data-binary @rules.yaml`` sends
  a form content type), which are no cross-site threat.
* **Token** (``--admin-token`` / ``MOCKSERVER_ADMIN_TOKEN`` / ``admin.token``): every route then
  needs ``Authorization: Bearer <token>``, compared in constant time. Two exceptions, and why:
  the inbox's static files (``/_mock/ui/``: the same HTML, CSS and JS in every install, no data;
  the page asks for the token and sends it on every API call), and the event stream, which a
  browser opens with ``EventSource``, which cannot send headers. The page first asks
  ``POST /_mock/events/ticket`` (with the bearer token) for a ticket and opens
  ``/_mock/events?ticket=...``. A ticket is random, valid for one connection and for
  :data:`TICKET_TTL` seconds, so the token itself never travels in a URL (URLs end up in logs,
  the browser history and ``Referer`` headers), and a leaked ticket is worth nothing a moment
  later. A POST is needed to get one: the Origin check refuses it from a foreign page, and a
  foreign page could not read the answer anyway.

Host and Origin refusals are 403, a missing or wrong token 401 (with ``WWW-Authenticate``); all
JSON. Vendor endpoints never see any of this: the guard is a middleware of the admin app only.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web
from yarl import URL

from mockserver.core.secrets import same
from mockserver.http.vendor import json_response

log = logging.getLogger("mockserver.admin")

PREFIX = "/_mock"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CROSS_FETCH_SITES = frozenset({"cross-site", "same-site"})
PUBLIC_PATHS = ("/ui", "/ui/")  # the inbox's static shell; its files under /ui/ too
EVENTS_PATH = "/events"
TICKET_TTL = 30.0  # seconds a stream ticket stays valid
MAX_TICKETS = 256  # tickets outstanding at once; the oldest go first
DEFAULT_PORTS = {"http": 80, "https": 443}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def admin_path(path: str) -> str:
    """The path under ``/_mock``, for the default namespace's ``/_mock/x`` and a namespace's
    ``/ns/<name>/_mock/x`` alike."""
    if path.startswith("/ns/"):
        path = "/" + path[len("/ns/") :].partition("/")[2]
    return path.removeprefix(PREFIX)


def _refuse(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"error": message}, status=status, headers=headers)


def split_host(value: str, scheme: str = "http") -> tuple[str, int | None]:
    """(lower-case host name without a trailing dot, port or None) of a ``Host`` header value."""
    try:
        url = URL.build(scheme=scheme, authority=value)
    except ValueError:
        return "", None
    host = (url.raw_host or "").lower().rstrip(".")
    return host, url.explicit_port


def is_loopback(host: str) -> bool:
    """``localhost``, a ``*.localhost`` name (RFC 6761: browsers resolve them to loopback
    themselves, so no DNS answer can rebind them), or an address in 127.0.0.0/8 or ::1."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Tickets:
    """Single-use, short-lived tickets for the event stream (see the module docstring)."""

    ttl: float = TICKET_TTL
    limit: int = MAX_TICKETS
    issued: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def issue(self) -> str:
        now = time.monotonic()
        while self.issued and (len(self.issued) >= self.limit or next(iter(self.issued.values())) <= now):
            self.issued.popitem(last=False)
        ticket = secrets.token_urlsafe(24)
        self.issued[ticket] = now + self.ttl
        return ticket

    def redeem(self, ticket: str | None) -> bool:
        """Whether ``ticket`` is a live one; it is used up either way."""
        if not ticket:
            return False
        expires = self.issued.pop(ticket, None)  # a hash lookup: no character-by-character comparison
        return expires is not None and time.monotonic() < expires


@dataclass
class AdminGuard:
    """The checks, built once from the ``admin:`` config section."""

    token: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    tickets: Tickets = field(default_factory=Tickets)

    @classmethod
    def from_config(cls, section: dict) -> AdminGuard:
        hosts: Iterable[str] = section.get("allowed_hosts") or ()
        return cls(token=section.get("token") or None, allowed_hosts=tuple(h.lower().rstrip(".") for h in hosts))

    # -- the three checks ---------------------------------------------------------------------
    def host_allowed(self, request: web.Request) -> bool:
        header = request.headers.get("Host")
        if header is None:  # HTTP/1.0 without Host: no browser sends that, so no rebinding either
            return True
        host, _ = split_host(header, request.scheme)
        if not host:
            return False
        if is_loopback(host) or self._listed(host):
            return True
        sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
        if sockname:  # the address this connection reached: the bound one, or the interface of 0.0.0.0
            try:
                return ipaddress.ip_address(host) == ipaddress.ip_address(sockname[0])
            except ValueError:
                return False
        return False

    def _listed(self, host: str) -> bool:
        for allowed in self.allowed_hosts:
            if host == allowed or (allowed.startswith("*.") and host.endswith(allowed[1:])):
                return True
        return False

    def cross_origin(self, request: web.Request) -> bool:
        """Whether a state-changing request comes from another origin (a browser says so)."""
        if request.method not in STATE_CHANGING:
            return False
        if request.headers.get("Sec-Fetch-Site", "").lower() in CROSS_FETCH_SITES:
            return True
        origin = request.headers.get("Origin")
        if origin is None:
            return False
        try:
            url = URL(origin)
        except ValueError:
            return True
        if origin == "null" or not url.scheme or not url.raw_host:
            return True
        host, port = split_host(request.headers.get("Host", ""), request.scheme)
        ours = (request.scheme, host, port or DEFAULT_PORTS.get(request.scheme))
        theirs = (url.scheme.lower(), url.raw_host.lower().rstrip("."), url.port)
        return ours != theirs

    def authorized(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and same(given.strip(), self.token)

    # -- the middleware -----------------------------------------------------------------------
    def middleware(self) -> Callable:
        @web.middleware
        async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not self.host_allowed(request):
                return _refuse(403, "this Host may not use /_mock/ (add it to admin.allowed_hosts if it is yours)")
            if self.cross_origin(request):
                return _refuse(403, "cross-origin requests may not change the mock")
            if self.token is not None and not self.authorized(request):
                path = admin_path(request.path)
                public = request.method in ("GET", "HEAD") and (path in PUBLIC_PATHS or path.startswith("/ui/"))
                streaming = path == EVENTS_PATH and request.method == "GET"
                if not public and not (streaming and self.tickets.redeem(request.query.get("ticket"))):
                    return _refuse(
                        401,
                        "the admin API needs Authorization: Bearer <token>"
                        + (" (the event stream: ?ticket= from POST /_mock/events/ticket)" if streaming else ""),
                        headers={"WWW-Authenticate": 'Bearer realm="sms-mockserver"'},
                    )
            return await handler(request)

        return guard

    def add_routes(self, app: web.Application) -> None:
        async def ticket(_: web.Request) -> web.Response:
            """A single-use ticket for ``GET /_mock/events?ticket=`` (the guard checked the token)."""
            return json_response({"ticket": self.tickets.issue(), "expires_in": self.tickets.ttl})

        app.router.add_post("/events/ticket", ticket)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Whatever goes wrong under ``/_mock/`` answers JSON: aiohttp's own 404, 405 and 413, a body
    nested too deeply for the parsers (RecursionError), and our own bugs (500, logged)."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        body = {"error": exc.reason.lower()}
        if exc.status == 413:
            body["detail"] = exc.text or ""
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return json_response(body, status=exc.status, headers=headers)
    except RecursionError:
        return json_response({"error": "body is nested too deeply"}, status=400)
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return json_response({"error": "internal error (logged by the server)"}, status=500)


# The guard of an admin application (the server has one: its tickets hold in every namespace).
GUARD = web.AppKey("admin_guard", AdminGuard)
