"""``/_mock/``: the inspection and control API that tests, scripts and the web inbox use.

Everything the server accepted is visible here: messages with their delivery timelines, OTP
codes (so an end-to-end test can finish an OTP flow), callback attempts, the request journal,
the active scenario rules and the virtual clock. Answers are JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from mockserver.core import gcwatch
from mockserver.core.clock import BANGKOK, parse_duration, parse_instant
from mockserver.core.store import CALLBACK_STATES, DELIVERED
from mockserver.core.tuning import running_loop_name
from mockserver.engine.delivery import MANUAL_STATES
from mockserver.engine.namespaces import Namespaces
from mockserver.engine.services import Services
from mockserver.http.namespaced import World
from mockserver.http.vendor import json_response
from mockserver.inspection.guard import GUARD, AdminGuard, json_errors
from mockserver.version import __version__


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
    """A positive integer query value (``limit``), or ``default`` when absent."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise web.HTTPBadRequest(
            text=f'{{"error": "{name} must be a positive integer"}}', content_type="application/json"
        )
    return number


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested too deeply for json.loads
        raise web.HTTPBadRequest(text='{"error": "body is not valid JSON"}', content_type="application/json") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text='{"error": "body must be a JSON object"}', content_type="application/json")
    return data


def admin_app(
    services: Services, namespaces: Namespaces[World] | None = None, guard: AdminGuard | None = None
) -> web.Application:
    """The ``/_mock`` application of one namespace's ``services``. The server's own (default)
    one also gets ``namespaces`` (its ``/_mock/namespaces`` listing); ``guard`` is the server's
    one guard (its SSE tickets are valid in every namespace)."""
    store = services.store
    routes = web.RouteTableDef()

    @routes.get("/health")
    async def health(_: web.Request) -> web.Response:
        """Cheap enough to poll under load: the journal's sizes against its cap are counters,
        never a walk over the journal (``benchmarks/soak.py`` samples them)."""
        return json_response(
            {
                "status": "ok",
                "version": __version__,
                "vendors": sorted(services.vendors),
                "messages": len(store.messages),
                "clock": services.clock.now(),
                "seed": services.rng.seed,
                "journal_size": store.journal_size,
                "requests": len(store.requests),
                "callbacks": len(store.callbacks),
                "otps": len(store.otps),
                "dropped_messages": store.dropped_messages,
                "loop": running_loop_name(),
                # Collections and the longest pause by generation, when serve watches them.
                "gc": None if (pauses := gcwatch.watching()) is None else pauses.summary(),
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
                    "inbound": vendor.has_inbound,
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
            text=q.get("q") or None,
            limit=_int(q.get("limit"), "limit", 1000),
        )
        return json_response(
            {"messages": [m.to_dict() for m in found], "count": len(found), "total": len(store.messages)}
        )

    @routes.get("/messages/{id}")
    async def message(request: web.Request) -> web.Response:
        found = store.get_message(request.match_info["id"])
        if found is None:
            return _error(404, "no such message")
        data = found.to_dict(full=True)
        otp = store.otp_of_message(found)
        if otp is not None:
            data["otp"] = otp.to_dict()
        return json_response(data)

    @routes.delete("/messages/{id}")
    async def delete_message(request: web.Request) -> web.Response:
        """Remove one message from the journal (the inbox's Delete button; a test tidying up
        after itself); open inboxes drop its row through the event stream. The guard treats
        it as every other change: token, Host and Origin checks."""
        found = store.remove_message(request.match_info["id"])
        if found is None:
            return _error(404, "no such message")
        return json_response({"deleted": found.id})

    @routes.post("/messages/{id}/deliver")
    async def deliver(request: web.Request) -> web.Response:
        """Fire a delivery report by hand: ``{"status": "failed", "code": "..."}`` (default delivered)."""
        found = store.get_message(request.match_info["id"])
        if found is None:
            return _error(404, "no such message")
        body = await _json_body(request)
        status = body.get("status", DELIVERED)
        if not isinstance(status, str) or status not in MANUAL_STATES:
            return _error(400, f"status must be one of {sorted(MANUAL_STATES)}")
        code = body.get("code")
        if code is not None and (isinstance(code, bool) or not isinstance(code, str | int)):
            return _error(400, "code must be a string or an integer")
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
        """The callback journal, newest first; filters: vendor, message, state, url; limit."""
        q = request.query
        vendor, state, message_id, url = q.get("vendor"), q.get("state"), q.get("message"), q.get("url")
        if state and state not in CALLBACK_STATES:
            return _error(400, f"state must be one of {list(CALLBACK_STATES)}")
        limit = _int(q.get("limit"), "limit", 1000)
        out = []
        for record in store.iter_callbacks():
            if vendor and record.vendor != vendor:
                continue
            if state and record.state != state:
                continue
            if message_id and message_id not in record.message_ids:
                continue
            if url and record.url != url:
                continue
            out.append(record.to_dict())
            if limit is not None and len(out) >= limit:
                break
        return json_response({"callbacks": out, "count": len(out), "states": services.callbacks.counts()})

    @routes.get("/callbacks/{id}")
    async def callback(request: web.Request) -> web.Response:
        record = store.callbacks.get(request.match_info["id"])
        if record is None:
            return _error(404, "no such callback")
        return json_response(record.to_dict())

    @routes.post("/callbacks/{id}/replay")
    async def replay(request: web.Request) -> web.Response:
        record = store.callbacks.get(request.match_info["id"])
        if record is None:
            return _error(404, "no such callback")
        if not services.callbacks.url_allowed(record.url):
            return _error(400, "callback URL is not allowed")
        return json_response(services.callbacks.replay(record).to_dict(), status=202)

    @routes.get("/requests")
    async def requests(request: web.Request) -> web.Response:
        limit = _int(request.query.get("limit"), "limit", 1000)
        vendor = request.query.get("vendor")
        entries = [r.to_dict() for r in reversed(store.requests) if not vendor or r.vendor == vendor][:limit]
        return json_response({"requests": entries, "count": len(entries)})

    @routes.post("/reset")
    async def reset(_: web.Request) -> web.Response:
        services.reset()
        return json_response({"status": "reset"})

    @routes.get("/clock")
    async def clock(_: web.Request) -> web.Response:
        return json_response(_clock_state(services))

    @routes.post("/clock")
    async def move_clock(request: web.Request) -> web.Response:
        """``{"advance": "1h"}`` or ``{"set": ISO}`` (optionally ``"freeze": true/false``): every
        timer that became due runs before the answer, in due order."""
        body = await _json_body(request)
        unknown = set(body) - {"advance", "set", "freeze"}
        if unknown:
            return _error(400, f"unknown field(s): {', '.join(sorted(unknown))}; use advance, set or freeze")
        if "advance" in body and "set" in body:
            return _error(400, "give advance or set, not both")
        if "freeze" in body and not isinstance(body["freeze"], bool):
            return _error(400, "freeze must be true or false")
        clock = services.clock
        fired = 0
        try:
            if "advance" in body:
                value = body["advance"]
                if isinstance(value, bool) or not isinstance(value, str | int | float):
                    raise ValueError('advance must be a duration such as "90s", "1h30m" or seconds')
                fired = clock.advance(parse_duration(value))
            elif "set" in body:
                if not isinstance(body["set"], str):
                    raise ValueError("set must be an ISO-8601 instant")
                try:
                    when = parse_instant(body["set"])
                except ValueError:
                    raise ValueError(f"set: not an ISO-8601 instant: {body['set']!r}") from None
                fired = clock.set(when)
            if body.get("freeze") is True:
                clock.freeze()
            elif body.get("freeze") is False:
                clock.resume()
        except ValueError as exc:
            return _error(400, str(exc))
        return json_response({**_clock_state(services), "fired": fired})

    if guard is None:
        guard = AdminGuard.from_config(services.config.section("admin"))  # Host, Origin, token: see guard.py
    app = web.Application(middlewares=[json_errors, guard.middleware()])
    app[GUARD] = guard
    app.add_routes(routes)
    if namespaces is not None:
        from mockserver.inspection.namespaces import register as register_namespaces

        register_namespaces(app, namespaces)  # GET /_mock/namespaces, DELETE /_mock/namespaces/{name}
    guard.add_routes(app)  # POST /_mock/events/ticket
    from mockserver.inspection.scenario_api import register

    register(app, services.scenarios)  # /_mock/scenario: GET, PUT, POST rules, DELETE rules/{id}
    from mockserver.inspection.contract_admin import add_routes

    add_routes(app, services)  # /violations, /openapi/{vendor}.json
    from mockserver.inspection.inbound import register as register_inbound

    register_inbound(app, services)  # /_mock/inbound: a subscriber's SMS to a customer (SMS 2-way)

    from mockserver.inspection import metrics, verify

    verify.register(app, services)  # POST /_mock/verify
    metrics.register(app, services)  # GET /_mock/metrics
    from mockserver.inspection.webui import register as register_webui

    register_webui(app, services)  # /_mock/ui/, /_mock/events, /_mock/stats, /_mock/samples (keep it last)
    return app


def _clock_state(services: Services) -> dict[str, Any]:
    clock = services.clock
    nxt = clock.next_due()
    return {
        "now": clock.now(),
        "iso": clock.datetime().isoformat(),
        "frozen": clock.frozen,
        "pending_timers": clock.pending(),
        "next_due": nxt,
        "next_due_iso": datetime.fromtimestamp(nxt, BANGKOK).isoformat() if nxt is not None else None,
    }
