"""``/_mock/violations`` and ``/_mock/openapi/{vendor}.json``: the contract checks' part of the
inspection API (registered on the admin app by :func:`add_routes`).

``GET /_mock/violations`` lists what strict mode recorded (filters ``vendor``, ``operation``,
``request_id``, ``limit``), with ``total`` counting every violation since start-up (a reset
empties the list, not the total); ``DELETE /_mock/violations`` empties the list.
``GET /_mock/openapi`` lists the vendors; ``GET /_mock/openapi/{vendor}.json`` is the vendor's
OpenAPI 3.1 document with the mock's own address, as the client reached it, as first server.
"""

from __future__ import annotations

from aiohttp import web

from mockserver.engine.services import Services
from mockserver.http.vendor import json_response


def add_routes(app: web.Application, services: Services) -> None:
    routes = web.RouteTableDef()

    @routes.get("/violations")
    async def violations(request: web.Request) -> web.Response:
        q = request.query
        try:
            limit = int(q.get("limit") or 1000)
        except ValueError:
            limit = 0
        if limit <= 0:
            return json_response({"error": "limit must be a positive integer"}, status=400)
        checker = services.contracts
        if checker is None:
            return json_response({"strict": False, "violations": [], "count": 0, "total": 0})
        out = []
        for v in checker.violations:
            if q.get("vendor") and v.vendor != q["vendor"]:
                continue
            if q.get("operation") and v.operation != q["operation"]:
                continue
            if q.get("request_id") and v.request_id != q["request_id"]:
                continue
            out.append(v.to_dict())
        out = out[-limit:]
        return json_response(
            {"strict": checker.describe(), "violations": out, "count": len(out), "total": checker.total}
        )

    @routes.delete("/violations")
    async def clear(_: web.Request) -> web.Response:
        if services.contracts is not None:
            services.contracts.clear()
        return json_response({"status": "cleared"})

    @routes.get("/openapi")
    async def index(request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}/_mock/openapi"
        return json_response({"documents": {name: f"{base}/{name}.json" for name in sorted(services.vendors)}})

    @routes.get("/openapi/{vendor}.json")
    async def document(request: web.Request) -> web.Response:
        from mockserver.contracts.openapi import build

        vendor = services.vendors.get(request.match_info["vendor"])
        if vendor is None:
            return json_response(
                {"error": f"no vendor {request.match_info['vendor']!r}", "vendors": sorted(services.vendors)},
                status=404,
            )
        return json_response(build(vendor, f"{request.scheme}://{request.host}"))

    app.add_routes(routes)
