"""``create_app(config)``: the aiohttp application with every vendor and ``/_mock/`` mounted.

Each vendor :class:`~mockserver.http.vendor.Mount` becomes two sub-applications with the same routes:
one under its path prefix and one matched on the vendor's real ``Host``. Both share a middleware
that turns everything that can go wrong (vendor errors, malformed bodies, unknown paths, wrong
methods, oversized bodies, our own bugs) into the vendor's own error shape and writes one line
to the request journal and the access log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from pathlib import Path
from sys import intern
from time import perf_counter
from typing import Any

from aiohttp import web
from aiohttp.web_urldispatcher import (
    AbstractRuleMatching,
    Domain,
    MatchedSubAppResource,
)

from mockserver.core import errors as E
from mockserver.core.config import Config, build_config, config_from_dict, load_config
from mockserver.core.errors import VendorError
from mockserver.core.store import RequestLog
from mockserver.engine.scenarios import CURRENT, Answer, Fault
from mockserver.engine.services import Services
from mockserver.http import faults
from mockserver.http.vendor import Call, Mount, Operation, Vendor

SERVICES = web.AppKey("services", Services)
access_log = logging.getLogger("mockserver.access")
log = logging.getLogger("mockserver")


def default_scenario_files() -> list[Path]:
    from mockserver.core.scenario_files import find_scenario

    path = find_scenario("default")
    return [path] if path is not None else []


def create_app(
    config: Config | dict[str, Any] | str | Path | None = None,
    *,
    seed: int | None = None,
    scenarios: Iterable[str | Path] | None = None,
    frozen_clock: bool = False,
    strict: bool = False,
) -> web.Application:
    """Build the server. ``config`` is a :class:`Config`, a dict, a YAML path or None (defaults);
    ``scenarios`` are scenario files loaded at start-up (default: ``scenarios/default.yaml``);
    ``strict`` checks every accepted request against its contract (see :mod:`mockserver.contracts.strict`)."""
    if config is None:
        config = build_config(None)
    elif isinstance(config, dict):
        config = config_from_dict(config)
    elif isinstance(config, str | Path):
        config = load_config(config)
    services = Services.build(config, seed=seed, frozen_clock=frozen_clock)

    app = web.Application(client_max_size=config.max_body_bytes)
    app[SERVICES] = services

    from mockserver.vendors import discover

    for vendor_class in discover():
        vendor = vendor_class(services, config.vendor(vendor_class.name))
        services.vendors[vendor.name] = vendor
        services.delivery.listeners[vendor.name] = vendor.on_status
    from mockserver.contracts.strict import build as build_strict

    services.contracts = build_strict(config, services.vendors, everything=strict, clock=services.clock)
    real_hosts: list[tuple[str, web.Application]] = []
    for vendor in services.vendors.values():
        for mount in vendor.mounts():
            serve = _vendor_server(vendor, mount)
            _mount_prefix(app, mount, serve)
            for host in mount.hosts:
                real_hosts.append((host, _vendor_app(mount, serve, config)))
    _mount_real_hosts(app, real_hosts)
    # After the vendors: scenarios are checked against their tables and expand per vendor.
    services.scenarios.load_startup(default_scenario_files() if scenarios is None else scenarios)

    from mockserver.inspection.admin import admin_app

    app.add_subapp("/_mock", admin_app(services))

    async def start(_: web.Application) -> None:
        await services.clock.start()
        await services.callbacks.start()

    async def stop(_: web.Application) -> None:
        await services.callbacks.stop()
        await services.clock.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


Fallback = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _mount_prefix(app: web.Application, mount: Mount, serve) -> None:
    """The operations under the mount's prefix, as routes of the main application itself (no
    sub-application: one route lookup per request); anything else under the prefix is the
    vendor's own 404 or 405."""
    allowed: dict[str, set[str]] = {}
    for op in mount.operations:
        app.router.add_route(op.method, mount.prefix + op.path, partial(serve, op, None))
        allowed.setdefault(mount.prefix + op.path, set()).add(op.method)

    async def no_operation(request: web.Request) -> web.StreamResponse:
        methods = allowed.get(request.path)
        if methods:
            raise web.HTTPMethodNotAllowed(request.method, methods)
        raise web.HTTPNotFound()

    elsewhere = partial(serve, None, no_operation)
    app.router.add_route("*", mount.prefix, elsewhere)
    app.router.add_route("*", mount.prefix + "/{tail:.*}", elsewhere)


def _vendor_app(mount: Mount, serve, config: Config) -> web.Application:
    """The operations at their real paths, for one real host name (aiohttp matches the Host)."""
    operations: dict[object, Operation] = {}

    @web.middleware
    async def middleware(request: web.Request, handler: Fallback) -> web.StreamResponse:
        return await serve(operations.get(request.match_info.route), handler, request)

    sub = web.Application(middlewares=[middleware], client_max_size=config.max_body_bytes)
    for op in mount.operations:
        operations[sub.router.add_route(op.method, op.path, _unreachable)] = op
    return sub


async def _unreachable(request: web.Request) -> web.StreamResponse:
    """The real-host routes only say where an operation lives: the middleware runs it."""
    raise web.HTTPInternalServerError()


class _AnyHost(AbstractRuleMatching):
    """Matches a request whose ``Host`` is one of the vendors' real host names: one set lookup
    per request on the server's path instead of one :class:`~aiohttp.web_urldispatcher.Domain`
    rule per host (the router tries those before any path)."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self.hosts = frozenset(Domain(h).canonical for h in hosts)  # as aiohttp normalizes them

    async def match(self, request: web.Request) -> bool:
        host = request.headers.get("Host")
        if not host:
            return False
        host = host.lower()
        # As Domain does: the port only matters when the host name was registered with one.
        return host in self.hosts or host.partition(":")[0] in self.hosts

    def get_info(self) -> dict[str, Any]:
        return {"hosts": sorted(self.hosts)}

    @property
    def canonical(self) -> str:
        return "|".join(sorted(self.hosts))


def _mount_real_hosts(app: web.Application, apps: list[tuple[str, web.Application]]) -> None:
    """The vendors at their real paths, for requests whose Host is a real host name: one
    application that matches any of them and, inside it, one domain sub-application per host."""
    if not apps:
        return
    real = web.Application(client_max_size=app._client_max_size)
    for host, sub in apps:
        real.add_domain(host, sub)
    resource = MatchedSubAppResource(_AnyHost(h for h, _ in apps), real)
    app._add_subapp(lambda: resource, real)  # what add_domain does, with our rule


def _vendor_server(vendor: Vendor, mount: Mount):
    """``serve(op, fallback, request)``: runs the operation a request matched (``op``; None when
    nothing matched, and then ``fallback(request)`` raises aiohttp's 404 or 405) and turns
    everything that can go wrong into the vendor's own answer; journals every request. One
    coroutine frame per request: it calls the vendor handler itself."""
    generic = vendor.generic_errors
    strict = vendor.services.contracts  # None unless strict mode is on somewhere: no cost then
    services = vendor.services
    store, clock = services.store, services.clock
    name = vendor.name

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
        try:
            try:
                if op is None:  # no operation here: the fallback raises a 404/405
                    assert fallback is not None
                    response = await fallback(request)
                else:
                    call = Call(request, vendor, op)
                    request["call"] = call  # for outer middlewares (tests capture traffic)
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
                if CURRENT.get() is not None:
                    CURRENT.set(None)  # keep-alive requests share a task: forget this one's facts
            no_answer = outcome.startswith("fault:") and outcome != "fault:slow_body"
            journal(request, call, started, faults.NO_ANSWER if no_answer else response.status, outcome)
            return response
        finally:
            # Call <-> Request is a reference cycle: break it (on the Call's side, so that outer
            # middlewares can still see which operation answered) so that reference counting
            # frees the request (headers, payload, parser state) at once, not the cyclic GC later.
            if call is not None:
                call.request = None

    return serve


def mounted_urls(app: web.Application, base: str) -> list[tuple[str, str, str]]:
    """(vendor title, URL on the mock, real hosts) for the start-up banner."""
    services = app[SERVICES]
    rows = []
    for vendor in services.vendors.values():
        for mount in vendor.mounts():
            rows.append((vendor.title, f"{base}{mount.prefix}", ", ".join(mount.hosts)))
    return rows
