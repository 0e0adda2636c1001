"""Where a request lands, and the one coroutine that serves every vendor operation.

Each vendor :class:`~mockserver.http.vendor.Mount` is served twice with the same operations:

* under its path prefix (``/smartsmsbulk/api/v2/SendSMS``), as routes of the main application
  itself, so that the usual request costs one route lookup; anything else under the prefix is
  the vendor's own 404 or 405;
* at its real paths for requests whose ``Host`` is one of its real host names (so ``/etc/hosts``
  tricks work): one domain sub-application per host name, through aiohttp's public
  :meth:`~aiohttp.web.Application.add_domain`. aiohttp tries domain sub-applications before any
  path, so a real host name owns every path (``/_mock/`` and the prefixes included), and the
  port only matters when the host name was registered with one.

Both share :func:`vendor_server`: it turns everything that can go wrong (vendor errors, malformed
bodies, unknown paths, wrong methods, oversized bodies, our own bugs) into the vendor's own error
shape and writes one line to the request journal and the access log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from sys import intern
from time import perf_counter

from aiohttp import web

from mockserver.core import errors as E
from mockserver.core.errors import VendorError
from mockserver.core.store import RequestLog
from mockserver.engine.scenarios import Answer, Fault
from mockserver.http import faults
from mockserver.http.vendor import PATH_PARAMS, Call, Mount, Operation, Vendor

access_log = logging.getLogger("mockserver.access")
log = logging.getLogger("mockserver")

Fallback = Callable[[web.Request], Awaitable[web.StreamResponse]]
# serve(operation the request matched or None, what raises the 404/405 when None, request)
Serve = Callable[[Operation | None, Fallback | None, web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Served:
    """Which vendor operation answered a request, for outer middlewares (the contract tests
    capture traffic by it). Not the :class:`Call`: the call holds its request, and the request
    holding the call back would be a reference cycle that only the cyclic GC frees (see
    :mod:`mockserver.core.tuning`)."""

    vendor: Vendor
    operation: Operation


SERVED = web.RequestKey("mockserver.served", Served)
# In real-host mode the path is the vendor's, so a header names the namespace (mockserver.http.namespaced).
NAMESPACE_HEADER = "X-Mock-Namespace"


# For a real-host mount: the (serve, operations) of the namespace a request selects (by header),
# an answer refusing it (a bad name), or None for the default namespace.
Selected = tuple[Serve, tuple[Operation, ...]] | web.StreamResponse | None
Select = Callable[[web.Request], Selected]


def mount_vendor(
    app: web.Application,
    vendor: Vendor,
    real_hosts: RealHosts,
    select: Callable[[tuple[str, int]], Select] | None = None,
) -> None:
    """Every mount of ``vendor`` under its prefix and, through ``real_hosts``, at its real host
    names. ``select(key)`` gives the real-host mount ``key`` (vendor name, mount index) a way to
    serve another namespace's world (see :mod:`mockserver.http.namespaced`)."""
    for index, mount in enumerate(vendor.mounts()):
        serve = vendor_server(vendor, mount)
        mount_prefix(app, mount, serve, real_hosts.guard)
        chooser = select((vendor.name, index)) if select is not None else None
        real = _real_host_server(mount, serve, chooser)
        for host in mount.hosts:
            real_hosts.add(host, real)


class RealHosts:
    """The real host names and who serves each.

    A request whose ``Host`` is a real host name is that vendor's, whatever its path (``/_mock/``
    and the prefixes included); the port only matters when the host name was registered with
    one. These are the rules of aiohttp's :meth:`~aiohttp.web.Application.add_domain`, which
    this replaces because aiohttp tries every domain sub-application, one coroutine each, before
    any path: thirteen real host names cost every request at ``127.0.0.1`` thirteen awaits. Here
    it is one header read and at most two dict lookups, in front of each handler of the main
    application (:meth:`guard`) and first in each sub-application's middlewares
    (:meth:`middleware`). Not a middleware of the main application: one added there after
    ``create_app`` (a test capturing traffic through :data:`SERVED`) must still see every request.
    """

    def __init__(self) -> None:
        self.by_host: dict[str, Fallback] = {}

    def add(self, host: str, real: Fallback) -> None:
        name = host.rstrip(".").lower()
        self.by_host[name.removesuffix(":80")] = real

    def find(self, host: str | None) -> Fallback | None:
        if not host:
            return None
        host = host.lower()
        by_host = self.by_host
        return by_host.get(host) or by_host.get(host.partition(":")[0])

    def guard(self, handler: Fallback) -> Fallback:
        """``handler`` for the requests to no real host name."""
        find = self.find

        async def guarded(request: web.Request) -> web.StreamResponse:
            real = find(request.headers.get("Host"))
            if real is not None:
                return await real(request)
            return await handler(request)

        return guarded

    @web.middleware
    async def middleware(self, request: web.Request, handler: Fallback) -> web.StreamResponse:
        real = self.find(request.headers.get("Host"))
        if real is not None:
            return await real(request)
        return await handler(request)


def mount_prefix(
    app: web.Application, mount: Mount, serve: Serve, guard: Callable[[Fallback], Fallback] = lambda h: h
) -> None:
    """The operations under the mount's prefix, as routes of the main application itself (no
    sub-application: one route lookup per request); anything else under the prefix is the
    vendor's own 404 or 405."""
    allowed: dict[str, set[str]] = {}
    for op in mount.operations:
        app.router.add_route(op.method, mount.prefix + op.path, guard(partial(serve, op, None)))
        allowed.setdefault(mount.prefix + op.path, set()).add(op.method)

    async def no_operation(request: web.Request) -> web.StreamResponse:
        methods = allowed.get(request.path)
        if methods:
            raise web.HTTPMethodNotAllowed(request.method, methods)
        raise web.HTTPNotFound()

    elsewhere = guard(partial(serve, None, no_operation))
    app.router.add_route("*", mount.prefix, elsewhere)
    app.router.add_route("*", mount.prefix + "/{tail:.*}", elsewhere)


def _real_host_server(mount: Mount, serve: Serve, select: Select | None) -> Fallback:
    """The operations at their real paths, for the real host names of one mount. Its router
    only says which operation a path is (or which 404/405 it is when none is); ``serve`` then
    answers, so that those errors get the vendor's shape too. With ``select``, a request may
    name another namespace (a header: the path is the vendor's), served by that namespace's
    operation of the same index."""
    router = web.UrlDispatcher()
    indexes: dict[web.AbstractRoute, int] = {}
    for i, op in enumerate(mount.operations):
        indexes[router.add_route(op.method, op.path, _unreachable)] = i

    async def real(request: web.Request) -> web.StreamResponse:
        match = await router.resolve(request)
        index = indexes.get(match.route)
        if index is not None:
            request[PATH_PARAMS] = dict(match)

        async def fallback(request: web.Request) -> web.StreamResponse:
            raise match.http_exception or web.HTTPNotFound()

        if select is not None and NAMESPACE_HEADER in request.headers:
            chosen = select(request)
            if isinstance(chosen, web.StreamResponse):
                return chosen
            if chosen is not None:
                other, operations = chosen
                return await other(operations[index] if index is not None else None, fallback, request)
        return await serve(mount.operations[index] if index is not None else None, fallback, request)

    return real


async def _unreachable(request: web.Request) -> web.StreamResponse:
    """The real-host routes only say where an operation lives: ``serve`` runs it."""
    raise web.HTTPInternalServerError()


def vendor_server(vendor: Vendor, mount: Mount) -> Serve:
    """``serve(op, fallback, request)``: runs the operation a request matched (``op``; None when
    nothing matched, and then ``fallback(request)`` raises aiohttp's 404 or 405) and turns
    everything that can go wrong into the vendor's own answer; journals every request. One
    coroutine frame per request: it calls the vendor handler itself."""
    generic = vendor.generic_errors
    strict = vendor.services.contracts  # None unless strict mode is on somewhere: no cost then
    services = vendor.services
    store, clock = services.store, services.clock
    name = vendor.name
    served = {op: Served(vendor, op) for op in mount.operations}  # built once, not per request

    def routing_error(kind: str, call: Call | None, request: web.Request) -> web.StreamResponse:
        # ``request`` rides in the context so that a renderer can negotiate (Accept) without a Call.
        exc = VendorError(generic[kind], request=request)
        if call is None and mount.render_error is not None:
            row = vendor.errors[exc.name]
            return mount.render_error(None, row, row.message, exc.context)
        return vendor.error_response(call, exc)

    def journal(request: web.Request, call: Call | None, started: float, status: int, outcome: str) -> None:
        latency = (perf_counter() - started) * 1000
        operation = call.operation.name if call is not None else None
        # The path is interned: a journal of 100,000 requests holds a handful of distinct paths.
        store.log_request(
            RequestLog(clock.now(), name, operation, request.method, intern(request.path), status, outcome, latency)
        )
        if access_log.isEnabledFor(logging.INFO):
            operation = operation or "-"
            access_log.info(
                "%s %s %s %s -> %d %s %.1fms",
                name,
                operation,
                request.method,
                request.path,
                status,
                outcome,
                latency,
                extra={  # the same facts as fields, for `--log-format json`
                    "fields": {
                        "vendor": name,
                        "operation": operation,
                        "method": request.method,
                        "path": request.path,
                        "status": status,
                        "outcome": outcome,
                        "latency_ms": round(latency, 3),
                    }
                },
            )

    async def serve(op: Operation | None, fallback: Fallback | None, request: web.Request) -> web.StreamResponse:
        started = perf_counter()
        call: Call | None = None
        outcome = "ok"
        response: web.StreamResponse
        try:
            if op is None:  # no operation here: the fallback raises a 404/405
                assert fallback is not None
                response = await fallback(request)
            else:
                call = Call(request, vendor, op)
                request[SERVED] = served[op]  # for outer middlewares (tests capture traffic)
                response = await op.handler(call)
                record = call.record_made
                if record is not None:  # the messages it accepted keep the answer too
                    body = response.body if isinstance(response, web.Response) else None
                    record.answered(response.status, response.headers, body if isinstance(body, bytes) else b"")
        except VendorError as exc:
            outcome = exc.name
            response = vendor.error_response(call, exc)
        except Answer as answer:
            outcome = answer.outcome
            response = answer.response
        except Fault as fault:
            outcome = f"fault:{fault.kind}"
            try:
                response = await faults.perform(request, fault)
            except asyncio.CancelledError:  # the client left and the server cancels its handlers
                journal(request, call, started, faults.NO_ANSWER, outcome)
                raise
        except web.HTTPMethodNotAllowed:
            outcome = generic[E.METHOD_NOT_ALLOWED]
            response = routing_error(E.METHOD_NOT_ALLOWED, None, request)
        except web.HTTPNotFound:
            outcome = generic[E.NOT_FOUND]
            response = routing_error(E.NOT_FOUND, None, request)
        except web.HTTPRequestEntityTooLarge:
            outcome = generic[E.TOO_LARGE]
            response = routing_error(E.TOO_LARGE, call, request)
        except Exception:
            log.exception("%s: unexpected error on %s %s", name, request.method, request.path)
            outcome = generic[E.INTERNAL]
            response = routing_error(E.INTERNAL, call, request)
        if call is not None:
            if strict is not None and outcome == "ok" and await strict.check(call, response):
                outcome = "ok+contract_violation"  # answered as usual; marked in the journal and access log
            slow = call.slow_body
            if slow is not None and isinstance(response, web.Response):
                outcome = f"{outcome}+slow_body" if outcome != "ok" else "fault:slow_body"
                response = await faults.dribble(request, response, slow)
            services.scenarios.end_request()  # keep-alive requests share a task: forget this one's facts
        no_answer = outcome.startswith("fault:") and outcome != "fault:slow_body"
        journal(request, call, started, faults.NO_ANSWER if no_answer else response.status, outcome)
        return response

    return serve
