"""Where requests land: the vendor prefixes (routes of the main app) and the real host names."""

from __future__ import annotations

import gc

import pytest

from mockserver.app import SERVICES

SEND = {"phoneNo": "66812345678", "userId": 42, "partnerId": 21, "senderId": 25, "message": "hi"}


@pytest.mark.parametrize("path", ["/smartsmsbulk", "/smartsmsbulk/", "/smartsmsbulk/api/v2/Nope"])
async def test_anything_under_a_prefix_that_is_no_operation_is_the_vendors_404(client, path):
    resp = await client.post(path, json={})
    assert resp.status == 404
    assert await resp.json() == {"status": "ERR", "detail": "Not found"}


async def test_a_known_path_with_another_method_is_the_vendors_405(client):
    resp = await client.get("/smartsmsbulk/api/v2/SendSMS")
    assert resp.status == 405
    assert (await resp.json())["status"] == "ERR"


async def test_a_path_that_only_starts_like_a_prefix_is_not_the_vendors(client):
    resp = await client.get("/smartsmsbulkX/api/v2/SendSMS")
    # Not the vendor's error: the mock's own JSON 404 that names what it serves (tests/core/test_unmapped.py).
    assert resp.status == 404 and (await resp.json())["error"] == "not_found"


@pytest.mark.parametrize("host", ["services.smartsmsbulk.com", "SERVICES.smartsmsbulk.com:443"])
async def test_a_real_host_name_serves_the_real_paths_and_journals_them(client, host):
    resp = await client.post("/api/v2/SendSMS", json=SEND, headers={"Host": host})
    assert resp.status == 200 and (await resp.json())["status"] == "ERR"  # no chksum: the vendor's own error
    resp = await client.get("/api/v2/SendSMS", headers={"Host": host})
    assert resp.status == 405 and (await resp.json())["status"] == "ERR"
    log = client.server.app[SERVICES].store.requests
    assert [(r.vendor, r.operation, r.status) for r in list(log)[-2:]] == [
        ("smartsmsbulk", "send_sms", 200),
        ("smartsmsbulk", None, 405),
    ]


async def test_an_unknown_host_does_not_reach_the_real_paths(client):
    resp = await client.post("/api/v2/SendSMS", json=SEND, headers={"Host": "example.com"})
    assert resp.status == 404 and (await resp.json())["error"] == "not_found"


async def test_a_served_request_leaves_no_reference_cycle_behind(client):
    """The server's GC tuning (mockserver.core.tuning) counts on it: a request, its Call and what
    they hold are freed by reference counting as soon as the answer is written, at a real host
    name as under the prefix, not by the cyclic collector later."""
    vendor = client.server.app[SERVICES].vendors["smartsmsbulk"]
    samples = [vendor.sample_send(f"6681{n:07d}", f"hi {n}") for n in range(100)]

    async def send(host: str | None) -> None:
        for s in samples:
            path = s.path if host is None else s.path.removeprefix("/smartsmsbulk")
            headers = dict(s.headers) if host is None else {**s.headers, "Host": host}
            resp = await client.request(s.method, path, data=s.body, headers=headers)
            assert resp.status == 200 and (await resp.json())["status"] == "OK"

    await send(None)  # warm-up: connections, caches
    gc.collect()
    gc.disable()
    try:
        await send(None)
        await send("services.smartsmsbulk.com")
        assert gc.collect() == 0
    finally:
        gc.enable()


async def test_a_real_host_owns_every_path_and_its_port_counts_only_when_registered(client):
    # /_mock/ at a real host name is the vendor's own 404, not the admin API.
    resp = await client.get("/_mock/messages", headers={"Host": "services.smartsmsbulk.com"})
    assert resp.status == 404 and await resp.json() == {"status": "ERR", "detail": "Not found"}
    # Voice OTP's real host is registered with its port: without it, the host is nobody's.
    # (It reaches /_mock/, whose guard refuses a Host that is not this machine's: JSON 403.)
    resp = await client.get("/_mock/health", headers={"Host": "210.211.108.20"})
    assert resp.status == 403 and "error" in await resp.json()
    resp = await client.get("/_mock/health", headers={"Host": "210.211.108.20:8080"})
    assert resp.status == 404


async def test_a_middleware_added_after_create_app_sees_real_host_requests(aiohttp_client, make_app):
    """Tests capture traffic with their own outer middleware (``SERVED``): a request to a real host
    name must pass through it as one under the prefix does."""
    from aiohttp import web

    from mockserver.http.routing import SERVED

    app = make_app()
    seen: list[tuple[str, str | None]] = []

    @web.middleware
    async def record(request: web.Request, handler):
        response = await handler(request)
        served = request.get(SERVED)
        seen.append((request.path, served.operation.name if served is not None else None))
        return response

    app.middlewares.append(record)
    client = await aiohttp_client(app)
    await client.post("/api/v2/SendSMS", json=SEND, headers={"Host": "services.smartsmsbulk.com"})
    await client.get("/_mock/health", headers={"Host": "services.smartsmsbulk.com"})
    await client.post("/smartsmsbulk/api/v2/SendSMS", json=SEND)
    assert seen == [
        ("/api/v2/SendSMS", "send_sms"),
        ("/_mock/health", None),  # the vendor's 404: no operation
        ("/smartsmsbulk/api/v2/SendSMS", "send_sms"),
    ]
