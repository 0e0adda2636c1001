"""``/_mock/``: the inspection and control API that tests, scripts and the web inbox use.

Everything the server accepted is visible here: messages with their delivery timelines, OTP
codes (so an end-to-end test can finish an OTP flow), callback attempts, the request journal,
the active scenario rules and the virtual clock. Answers are JSON.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import __version__
from .clock import parse_duration, parse_instant
from .services import Services
from .store import FINAL_STATES, PENDING
from .vendor import json_response


def _error(status: int, message: str) -> web.Response:
    return json_response({"error": message}, status=status)


def _float(value: str | None, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        try:
            return parse_instant(value)
        except ValueError:
            raise web.HTTPBadRequest(
                text=f'{{"error": "{name} must be Unix seconds or ISO-8601"}}', content_type="application/json"
            ) from None


def _int(value: str | None, name: str, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise web.HTTPBadRequest(text=f'{{"error": "{name} must be an integer"}}', content_type="application/json") from None


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text='{"error": "body is not valid JSON"}', content_type="application/json") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text='{"error": "body must be a JSON object"}', content_type="application/json")
    return data


def admin_app(services: Services) -> web.Application:
    store = services.store
    routes = web.RouteTableDef()

    @routes.get("/health")
    async def health(_: web.Request) -> web.Response:
        return json_response(
            {
                "status": "ok",
                "version": __version__,
                "vendors": sorted(services.vendors),
                "messages": len(store.messages),
                "clock": services.clock.now(),
                "seed": services.rng.seed,
            }
        )

    @routes.get("/vendors")
    async def vendors(_: web.Request) -> web.Response:
        out = []
        for vendor in services.vendors.values():
            out.append(
                {
                    "name": vendor.name,
                    "title": vendor.title,
                    "country": vendor.country,
                    "mounts": [
                        {
                            "prefix": m.prefix,
                            "hosts": list(m.hosts),
                            "operations": [{"name": o.name, "method": o.method, "path": o.path} for o in m.operations],
                        }
                        for m in vendor.mounts()
                    ],
                    "demo": vendor.describe(),
                }
            )
        return json_response(out)

    @routes.get("/messages")
    async def messages(request: web.Request) -> web.Response:
        q = request.query
        found = store.find_messages(
            vendor=q.get("vendor") or None,
            phone=q.get("phone") or None,
            since=_float(q.get("since"), "since"),
            status=q.get("status") or None,
            account=q.get("account") or None,
            limit=_int(q.get("limit"), "limit", 1000),
        )
        return json_response({"messages": [m.to_dict() for m in found], "count": len(found), "total": len(store.messages)})

    @routes.get("/messages/{id}")
    async def message(request: web.Request) -> web.Response:
        found = store.get_message(request.match_info["id"])
        if found is None:
            return _error(404, "no such message")
        return json_response(found.to_dict(full=True))

    @routes.post("/messages/{id}/deliver")
    async def deliver(request: web.Request) -> web.Response:
        found = store.get_message(request.match_info["id"])
        if found is None:
            return _error(404, "no such message")
        body = await _json_body(request)
        status = body.get("status", "delivered")
        if status not in FINAL_STATES | {"sent", PENDING}:
            return _error(400, f"status must be one of {sorted(FINAL_STATES | {'sent'})}")
        code = body.get("code")
        services.delivery.finish_now(found, status, str(code) if code is not None else None)
        return json_response(found.to_dict())

    @routes.get("/otp")
    async def otp(request: web.Request) -> web.Response:
        phone = request.query.get("phone")
        if not phone:
            return _error(400, "phone is required")
        found = store.latest_otp(request.query.get("vendor") or None, phone)
        if found is None:
            return _error(404, "no OTP for that phone")
        return json_response(found.to_dict())

    @routes.get("/callbacks")
    async def callbacks(request: web.Request) -> web.Response:
        q = request.query
        vendor, state, message_id = q.get("vendor"), q.get("state"), q.get("message")
        limit = _int(q.get("limit"), "limit", 1000)
        out = []
        for record in store.iter_callbacks():
            if vendor and record.vendor != vendor:
                continue
            if state and record.state != state:
                continue
            if message_id and message_id not in record.message_ids:
                continue
            out.append(record.to_dict())
            if limit is not None and len(out) >= limit:
                break
        return json_response({"callbacks": out, "count": len(out)})

    @routes.post("/callbacks/{id}/replay")
    async def replay(request: web.Request) -> web.Response:
        record = store.callbacks.get(request.match_info["id"])
        if record is None:
            return _error(404, "no such callback")
        return json_response(services.callbacks.replay(record).to_dict())

    @routes.get("/requests")
    async def requests(request: web.Request) -> web.Response:
        limit = _int(request.query.get("limit"), "limit", 1000) or 1000
        vendor = request.query.get("vendor")
        entries = [r.to_dict() for r in reversed(store.requests) if not vendor or r.vendor == vendor][:limit]
        return json_response({"requests": entries, "count": len(entries)})

    @routes.post("/reset")
    async def reset(_: web.Request) -> web.Response:
        services.reset()
        return json_response({"status": "reset"})

    @routes.get("/scenario")
    async def scenario(_: web.Request) -> web.Response:
        return json_response({"rules": services.scenarios.describe()})

    @routes.get("/clock")
    async def clock(_: web.Request) -> web.Response:
        return json_response(_clock_state(services))

    @routes.post("/clock")
    async def move_clock(request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            if "advance" in body:
                services.clock.advance(parse_duration(body["advance"]))
            elif "set" in body:
                services.clock.set(parse_instant(str(body["set"])))
            if body.get("freeze") is True:
                services.clock.freeze()
            elif body.get("freeze") is False:
                services.clock.resume()
        except ValueError as exc:
            return _error(400, str(exc))
        return json_response(_clock_state(services))

    app = web.Application()
    app.add_routes(routes)
    from .contract_admin import add_routes

    add_routes(app, services)  # /violations, /openapi/{vendor}.json
    return app


def _clock_state(services: Services) -> dict[str, Any]:
    clock = services.clock
    return {"now": clock.now(), "iso": clock.datetime().isoformat(), "frozen": clock.frozen, "pending_timers": clock.pending()}
