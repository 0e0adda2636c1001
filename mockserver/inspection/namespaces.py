"""``/_mock/namespaces`` and ``/ns/<name>/_mock/...``: the admin API of every namespace.

A namespace's ``/_mock/`` is the very same API as the default one, over its own world: the
routes are registered once under ``/ns/{name}/_mock`` with the paths of a template ``/_mock``
application, and each request is handed to the handler of that path in the namespace's own
``/_mock`` application (built on first use, never started: only its handlers are called). So
every endpoint there is, and every one added later, works in a namespace with no second list
to keep, and behind the same guard (Host, Origin, token) with the same JSON errors.

The inbox is one page for all namespaces: ``/ns/<name>/_mock/ui/`` redirects to it with the
namespace selected.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from mockserver.engine.namespaces import DEFAULT, NamespaceError, Namespaces, check_name
from mockserver.engine.services import Services
from mockserver.http.namespaced import VARIABLE, World, bad_name
from mockserver.http.vendor import json_response
from mockserver.inspection.guard import GUARD, json_errors

UI_PATHS = ("/ui", "/ui/")  # the inbox page: one for every namespace


def _counts(name: str, world: World, **extra: Any) -> dict[str, Any]:
    store = world.services.store
    return {
        "name": name,
        "messages": len(store.messages),
        "requests": len(store.requests),
        "callbacks": len(store.callbacks),
        "journal_size": store.journal_size,
        **extra,
    }


def register(app: web.Application, namespaces: Namespaces[World]) -> None:
    """``GET /namespaces`` and ``DELETE /namespaces/{name}`` on the server's own ``/_mock``."""

    async def listing(_: web.Request) -> web.Response:
        out = [
            _counts(ns.name, ns.world, created_at=ns.created_at if ns.name != DEFAULT else None) for ns in namespaces
        ]
        return json_response(
            {"namespaces": out, "count": len(out), "max": namespaces.limit, "evicted": namespaces.evicted}
        )

    async def drop(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            check_name(name)
            dropped = await namespaces.drop(name)
        except NamespaceError as exc:
            return bad_name(exc)
        if not dropped:
            return json_response({"error": f"no namespace {name!r}"}, status=404)
        return json_response({"dropped": name})

    app.router.add_get("/namespaces", listing)
    app.router.add_delete("/namespaces/{name}", drop)


def namespaced_admin_app(
    services: Services, namespaces: Namespaces[World], template: web.Application
) -> web.Application:
    """The ``/ns`` application: every route of ``template`` (a ``/_mock`` application) under
    ``/{name}/_mock``, served by the namespace's own ``/_mock`` application."""
    from mockserver.inspection.admin import admin_app

    guard = template[GUARD]

    def world_of(request: web.Request) -> World | web.Response:
        try:
            world = namespaces.use(request.match_info[VARIABLE])
        except NamespaceError as exc:
            return bad_name(exc)
        if world.admin is None:
            world.admin = admin_app(world.services, guard=guard)
            world.admin.freeze()  # never started, but shut down (its signals must be frozen to be sent)
            for route in world.admin.router.routes():
                world.admin_handlers[(route.method, route.resource.canonical if route.resource else "")] = route.handler
        return world

    async def dispatch(key: tuple[str, str], request: web.Request) -> web.StreamResponse:
        world = world_of(request)
        if isinstance(world, web.Response):
            return world
        handler = world.admin_handlers.get(key)
        if handler is None:  # server-wide routes (/namespaces) live only on the default /_mock
            raise web.HTTPNotFound()
        return await handler(request)

    async def inbox(request: web.Request) -> web.StreamResponse:
        name = request.match_info[VARIABLE]
        try:
            check_name(name)
        except NamespaceError as exc:
            return bad_name(exc)
        raise web.HTTPFound(f"/_mock/ui/?ns={name}")

    app = web.Application(middlewares=[json_errors, guard.middleware()])
    base = f"/{{{VARIABLE}}}/_mock"
    app.router.add_get(base + "/ui", inbox)
    app.router.add_get(base + "/ui/{tail:.*}", inbox)
    for route in template.router.routes():
        resource = route.resource
        if resource is None or isinstance(resource, web.StaticResource) or resource.canonical in UI_PATHS:
            continue
        if route.method == "HEAD":  # aiohttp adds HEAD beside each GET itself
            continue
        key = (route.method, resource.canonical)
        app.router.add_route(route.method, base + resource.canonical, partial(dispatch, key))

    async def on_shutdown(_: web.Application) -> None:
        for namespace in namespaces:
            if namespace.world.admin is not None:
                await namespace.world.admin.shutdown()  # ends its event streams

    app.on_shutdown.append(on_shutdown)
    return app
