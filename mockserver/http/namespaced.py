"""Vendor traffic of a namespace: ``/ns/<name>/<prefix>/...``, and ``X-Mock-Namespace`` at real hosts.

Every client lets its base URL be set, so a path prefix selects a namespace with any client:
``http://127.0.0.1:8080/ns/job-123/smartsmsbulk/api/v2/SendSMS``. The routes are registered once,
at start-up, with the namespace as a path variable; each request finds its namespace's
:class:`World` (created on first use by :class:`~mockserver.engine.namespaces.Namespaces`) and
is served by that world's own vendor instance through the same :func:`vendor_server` as the
default namespace, so errors, journal and access log are the same.

The default namespace keeps its own routes, registered before these: a request without a prefix
costs exactly what it did before namespaces existed. In real-host mode the path is the vendor's,
so a header selects the namespace instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from aiohttp import web

from mockserver.engine.namespaces import NamespaceError, Namespaces
from mockserver.engine.persistence import Persistence
from mockserver.engine.services import Services
from mockserver.http.routing import NAMESPACE_HEADER, Fallback, Select, Selected, Serve, vendor_server
from mockserver.http.vendor import Operation, Vendor, json_response

PREFIX = "/ns/"
VARIABLE = "mock_namespace"  # the path variable: no vendor path uses it


@dataclass(slots=True)
class World:
    """One namespace's state (its services and vendor instances), ready to serve: each vendor
    mount's serve coroutine and operations, by (vendor name, mount index)."""

    services: Services[Vendor]
    mounts: dict[tuple[str, int], tuple[Serve, tuple[Operation, ...]]] = field(default_factory=dict)
    # Its /_mock/ application, built on first use (by mockserver.inspection.admin): never started
    # or mounted, only its handlers are called, by (method, path pattern).
    admin: web.Application | None = None
    admin_handlers: dict[tuple[str, str], Callable[[web.Request], Awaitable[web.StreamResponse]]] = field(
        default_factory=dict
    )

    persistence: Persistence | None = None  # its SQLite file with --data-dir

    @classmethod
    def of(cls, services: Services[Vendor], persistence: Persistence | None = None) -> World:
        world = cls(services, persistence=persistence)
        for vendor in services.vendors.values():
            for index, mount in enumerate(vendor.mounts()):
                world.mounts[(vendor.name, index)] = (vendor_server(vendor, mount), mount.operations)
        return world


def bad_name(exc: NamespaceError) -> web.Response:
    return json_response({"error": str(exc)}, status=400)


async def _serve(
    namespaces: Namespaces[World],
    key: tuple[str, int],
    index: int | None,
    fallback: Fallback | None,
    request: web.Request,
) -> web.StreamResponse:
    try:
        world = namespaces.use(request.match_info[VARIABLE])
    except NamespaceError as exc:
        return bad_name(exc)
    serve, operations = world.mounts[key]
    return await serve(operations[index] if index is not None else None, fallback, request)


def mount_namespaced(
    app: web.Application,
    vendors: Iterable[Vendor],
    namespaces: Namespaces[World],
    guard: Callable[[Fallback], Fallback] = lambda h: h,
) -> None:
    """``/ns/{name}`` in front of every vendor prefix: the same operations, looked up per
    namespace (``guard``: what keeps requests to a real host name away, ``RealHosts.guard``)."""
    for vendor in vendors:
        for m, mount in enumerate(vendor.mounts()):
            key = (vendor.name, m)
            base = f"{PREFIX}{{{VARIABLE}}}{mount.prefix}"
            allowed: dict[str, set[str]] = {}
            for i, op in enumerate(mount.operations):
                app.router.add_route(op.method, base + op.path, guard(partial(_serve, namespaces, key, i, None)))
                allowed.setdefault(mount.prefix + op.path, set()).add(op.method)

            async def no_operation(request: web.Request, allowed: dict[str, set[str]] = allowed) -> web.StreamResponse:
                # The path as the default namespace sees it: the /ns/<name> part is literal text.
                name = request.match_info[VARIABLE]
                methods = allowed.get(request.path[len(PREFIX) + len(name) :])
                if methods:
                    raise web.HTTPMethodNotAllowed(request.method, methods)
                raise web.HTTPNotFound()

            elsewhere = guard(partial(_serve, namespaces, key, None, no_operation))
            app.router.add_route("*", base, elsewhere)
            app.router.add_route("*", base + "/{tail:.*}", elsewhere)


def header_selector(namespaces: Namespaces[World]) -> Callable[[tuple[str, int]], Select]:
    """For the real-host mounts (see :func:`~mockserver.http.routing.mount_vendor`): the mount
    ``key`` of the namespace the ``X-Mock-Namespace`` header names; None without the header
    (the default namespace)."""

    def for_mount(key: tuple[str, int]) -> Select:
        def select(request: web.Request) -> Selected:
            name = request.headers.get(NAMESPACE_HEADER)
            if not name:
                return None
            try:
                world = namespaces.use(name)
            except NamespaceError as exc:
                return bad_name(exc)
            return world.mounts[key]

        return select

    return for_mount
