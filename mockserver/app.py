"""``create_app(config)``: the aiohttp application with every vendor and ``/_mock/`` mounted.

Each vendor :class:`~mockserver.vendor.Mount` becomes two sub-applications with the same routes:
one under its path prefix and one matched on the vendor's real ``Host``. Both share a middleware
that turns everything that can go wrong (vendor errors, malformed bodies, unknown paths, wrong
methods, oversized bodies, our own bugs) into the vendor's own error shape and writes one line
to the request journal and the access log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiohttp import web

from . import errors as E
from .config import Config, build_config, config_from_dict, load_config
from .errors import VendorError
from . import faults
from .scenarios import CURRENT, SLOW_BODY, Answer, Fault
from .services import Services
from .store import RequestLog, collect_accepted
from .vendor import Call, Mount, Operation, Vendor, keep_response

SERVICES = web.AppKey("services", Services)
access_log = logging.getLogger("mockserver.access")
log = logging.getLogger("mockserver")


def default_scenario_files() -> list[Path]:
    from .scenario_files import find_scenario

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
    ``strict`` checks every accepted request against its contract (see :mod:`mockserver.strict`)."""
    if config is None:
        config = build_config(None)
    elif isinstance(config, dict):
        config = config_from_dict(config)
    elif isinstance(config, str | Path):
        config = load_config(config)
    services = Services.build(config, seed=seed, frozen_clock=frozen_clock)

    app = web.Application(client_max_size=config.max_body_bytes)
    app[SERVICES] = services

    from .vendors import discover

    for vendor_class in discover():
        vendor = vendor_class(services, config.vendor(vendor_class.name))
        services.vendors[vendor.name] = vendor
        services.delivery.listeners[vendor.name] = vendor.on_status
    from .strict import build as build_strict

    services.contracts = build_strict(config, services.vendors, everything=strict, clock=services.clock)
    for vendor in services.vendors.values():
        for mount in vendor.mounts():
            for host in mount.hosts:
                app.add_domain(host, _vendor_app(vendor, mount, config))
            app.add_subapp(mount.prefix, _vendor_app(vendor, mount, config))
    # After the vendors: scenarios are checked against their tables and expand per vendor.
    services.scenarios.load_startup(default_scenario_files() if scenarios is None else scenarios)

    from .admin import admin_app

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


def _vendor_app(vendor: Vendor, mount: Mount, config: Config) -> web.Application:
    sub = web.Application(middlewares=[_vendor_middleware(vendor, mount)], client_max_size=config.max_body_bytes)
    for op in mount.operations:
        sub.router.add_route(op.method, op.path, _handler(vendor, op))
    return sub


def _handler(vendor: Vendor, op: Operation):
    async def handle(request: web.Request) -> web.StreamResponse:
        call = Call(request, vendor, op)
        request["call"] = call
        with collect_accepted() as accepted:
            response = await op.handler(call)
        if accepted:  # journal the answer with the messages this request created (web inbox)
            await keep_response(call, accepted, response)
        return response

    handle.__name__ = f"{vendor.name}_{op.name}"
    return handle


def _vendor_middleware(vendor: Vendor, mount: Mount):
    generic = vendor.generic_errors
    strict = vendor.services.contracts  # None unless strict mode is on somewhere: no cost then

    def routing_error(kind: str, call: Call | None, request: web.Request) -> web.StreamResponse:
        # ``request`` rides in the context so that a renderer can negotiate (Accept) without a Call.
        exc = VendorError(generic[kind], request=request)
        if call is None and mount.render_error is not None:
            row = vendor.errors[exc.name]
            return mount.render_error(None, row, row.message, exc.context)
        return vendor.error_response(call, exc)

    def journal(request: web.Request, started: float, status: int, outcome: str) -> None:
        call: Call | None = request.get("call")
        latency = (time.perf_counter() - started) * 1000
        services = vendor.services
        services.store.log_request(
            RequestLog(
                services.clock.now(),
                vendor.name,
                call.operation.name if call is not None else None,
                request.method,
                request.path,
                status,
                outcome,
                latency,
            )
        )
        if access_log.isEnabledFor(logging.INFO):
            operation = call.operation.name if call is not None else "-"
            access_log.info(
                "%s %s %s %s -> %d %s %.1fms",
                vendor.name,
                operation,
                request.method,
                request.path,
                status,
                outcome,
                latency,
                extra={  # the same facts as fields, for `--log-format json`
                    "fields": {
                        "vendor": vendor.name,
                        "operation": operation,
                        "method": request.method,
                        "path": request.path,
                        "status": status,
                        "outcome": outcome,
                        "latency_ms": round(latency, 3),
                    }
                },
            )

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        try:
            return await serve(request, handler)
        finally:
            # Call <-> Request is a reference cycle: break it (on the Call's side, so that outer
            # middlewares can still see which operation answered) so that reference counting
            # frees the request (headers, payload, parser state) at once, not the cyclic GC later.
            call = request.get("call")
            if call is not None:
                call.request = None

    async def serve(request: web.Request, handler) -> web.StreamResponse:
        started = time.perf_counter()
        outcome = "ok"
        try:
            response = await handler(request)
        except VendorError as exc:
            outcome = exc.name
            response = vendor.error_response(request.get("call"), exc)
        except Answer as answer:
            outcome = answer.outcome
            response = answer.response
        except Fault as fault:
            outcome = f"fault:{fault.kind}"
            try:
                response = await faults.perform(request, fault)
            except asyncio.CancelledError:  # the client left and the server cancels its handlers
                journal(request, started, faults.NO_ANSWER, outcome)
                raise
        except web.HTTPMethodNotAllowed:
            outcome = generic[E.METHOD_NOT_ALLOWED]
            response = routing_error(E.METHOD_NOT_ALLOWED, None, request)
        except web.HTTPNotFound:
            outcome = generic[E.NOT_FOUND]
            response = routing_error(E.NOT_FOUND, None, request)
        except web.HTTPRequestEntityTooLarge:
            outcome = generic[E.TOO_LARGE]
            response = routing_error(E.TOO_LARGE, request.get("call"), request)
        except Exception:
            log.exception("%s: unexpected error on %s %s", vendor.name, request.method, request.path)
            outcome = generic[E.INTERNAL]
            response = routing_error(E.INTERNAL, request.get("call"), request)
        call: Call | None = request.get("call")
        if strict is not None and call is not None and outcome == "ok":
            await strict.check(call, response)
        if call is not None:
            slow = request.get(SLOW_BODY)
            if slow is not None and isinstance(response, web.Response):
                outcome = f"{outcome}+slow_body" if outcome != "ok" else "fault:slow_body"
                response = await faults.dribble(request, response, slow)
            if CURRENT.get() is not None:
                CURRENT.set(None)  # keep-alive requests share a task: forget this one's facts
        no_answer = outcome.startswith("fault:") and outcome != "fault:slow_body"
        journal(request, started, faults.NO_ANSWER if no_answer else response.status, outcome)
        return response

    return middleware


def mounted_urls(app: web.Application, base: str) -> list[tuple[str, str, str]]:
    """(vendor title, URL on the mock, real hosts) for the start-up banner."""
    services = app[SERVICES]
    rows = []
    for vendor in services.vendors.values():
        for mount in vendor.mounts():
            rows.append((vendor.title, f"{base}{mount.prefix}", ", ".join(mount.hosts)))
    return rows
