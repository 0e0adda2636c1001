"""Auth, rate limit, blocked accounts and every malformed input answer ANTS's own error."""

from __future__ import annotations

import base64

import pytest

from mockserver.clients.ants import parse_xml
from mockserver.vendors.ants.errors import ERRORS
from tests.conftest import services_of

from .conftest import AUTH, JSON, XML, ants_client

SEND = {"messages": [{"from": "ANTS", "destinations": "66812345678", "text": "x"}]}
AUTH_FAILED = {"error": {"code": "207", "name": "UNDELIVERED", "description": "Authentication failed"}}


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        _basic("demo:wrong"),
        _basic("nobody:demo-ants-pass"),
        _basic("demo"),
        "Basic !!!not-base64",
        "Bearer abc",
        "",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/ants/sms/send"),
        ("GET", "/ants/sms/senderList"),
        ("GET", "/ants/sms/loginfo?bulkId=x"),
        ("POST", "/ants/otp/verifyOTP"),
    ],
)
async def test_every_call_needs_basic_auth(client, authorization, method, path):
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    resp = await client.request(method, path, json=SEND, headers=headers)
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert await resp.json() == AUTH_FAILED
    assert services_of(client).store.find_messages(vendor="ants") == []


async def test_auth_failure_in_xml(client):
    resp = await client.get("/ants/sms/senderList", headers={"Accept": "application/xml"})
    assert resp.status == 401
    assert parse_xml(await resp.read()) == AUTH_FAILED


async def test_rate_limit_on_the_shared_clock(aiohttp_client, make_app):
    config = {
        "vendors": {
            "ants": {
                "accounts": [
                    {
                        "username": "demo",
                        "password": "demo-ants-pass",
                        "senders": ["ANTS"],
                        "credit": 10,
                        "rate_limit": {"requests": 3, "seconds": 10},
                    },
                    {"username": "other", "password": "o", "senders": ["ANTS"], "credit": 10},
                ]
            }
        }
    }
    client = await aiohttp_client(make_app(config, frozen_clock=True))
    for _ in range(3):
        assert (await client.get("/ants/sms/senderList", headers=AUTH)).status == 200
    resp = await client.get("/ants/sms/senderList", headers=AUTH)
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "1"
    assert await resp.json() == {"error": {"code": "5", "name": "REJECTED", "description": "Too many requests"}}
    assert (await client.post("/ants/sms/send", json=SEND, headers=AUTH)).status == 429
    # another account has its own limiter
    assert await ants_client(client, user="other", password="o").sender_list() == ["ANTS"]
    services_of(client).clock.advance(10)
    assert (await client.get("/ants/sms/senderList", headers=AUTH)).status == 200


async def test_blocked_account_is_service_blocked(aiohttp_client, make_app):
    config = {
        "vendors": {
            "ants": {
                "accounts": [{"username": "demo", "password": "demo-ants-pass", "senders": ["ANTS"], "blocked": True}]
            }
        }
    }
    client = await aiohttp_client(make_app(config))
    resp = await client.post("/ants/sms/send", json=SEND, headers=AUTH)
    assert resp.status == 403
    assert await resp.json() == {"error": {"code": "208", "name": "UNDELIVERED", "description": "Service blocked"}}


BAD = [
    # (content type, body, status, code, description)
    ("application/json", b'{"messages": [', 400, "5", "Invalid request body"),
    ("application/json", b"[1, 2]", 400, "5", "Invalid request body"),
    ("application/json", b"", 400, "5", "Invalid request body"),
    ("application/json", b'{"messages": "\xff\xfe"}', 400, "5", "Invalid request body"),
    ("application/json", b'{"messages": "\\ud800"}', 400, "5", "Invalid request body"),
    ("application/xml", b"<SMS><messages>", 400, "206", "Malformed XML"),
    ("application/xml", b"not xml at all", 400, "206", "Malformed XML"),
    ("application/xml", b"<SMS>\xff</SMS>", 400, "206", "Malformed XML"),
    (
        "application/xml",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><SMS>&b;</SMS>',
        400,
        "206",
        "Malformed XML",
    ),
    (
        "application/xml",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><SMS>&e;</SMS>',
        400,
        "206",
        "Malformed XML",
    ),
    ("text/plain", b'{"messages": []}', 415, "5", "Content-Type must be application/json or application/xml"),
    (
        "application/x-www-form-urlencoded",
        b"from=ANTS",
        415,
        "5",
        "Content-Type must be application/json or application/xml",
    ),
    (None, b'{"messages": []}', 415, "5", "Content-Type must be application/json or application/xml"),
]


@pytest.mark.parametrize(("content_type", "body", "status", "code", "description"), BAD)
@pytest.mark.parametrize("path", ["/ants/sms/send", "/ants/otp/requestOTP", "/ants/sms/preview"])
async def test_bad_bodies_answer_the_vendor_error(client, content_type, body, status, code, description, path):
    headers = dict(AUTH)
    if content_type is not None:
        headers["Content-Type"] = content_type
    resp = await client.post(path, data=body, headers=headers, skip_auto_headers=["Content-Type"])
    assert resp.status == status
    if content_type == "application/xml":  # no Accept: the answer follows the request's format
        assert resp.content_type == "application/xml"
        error = parse_xml(await resp.read())["error"]
    else:
        assert resp.content_type == "application/json"
        error = (await resp.json())["error"]
    assert (error["code"], error["description"]) == (code, description)


async def test_missing_content_type_header(client):
    resp = await client.post(
        "/ants/sms/send", data=b'{"messages": []}', headers=AUTH, skip_auto_headers=["Content-Type"]
    )
    assert "Content-Type" not in resp.request_info.headers
    assert resp.status == 415
    assert (await resp.json())["error"]["description"] == "Content-Type must be application/json or application/xml"


async def test_huge_body(client):
    resp = await client.post("/ants/sms/send", data=b"{" + b" " * (1024 * 1024 + 10) + b"}", headers=JSON)
    assert resp.status == 413
    assert await resp.json() == {"error": {"code": "5", "name": "REJECTED", "description": "Request body too large"}}


@pytest.mark.parametrize(
    ("method", "path", "status", "description"),
    [
        ("GET", "/ants/sms/send", 405, "Method Not Allowed"),
        ("DELETE", "/ants/otp/verifyOTP", 405, "Method Not Allowed"),
        ("POST", "/ants/sms/loginfo", 405, "Method Not Allowed"),
        ("GET", "/ants/sms/nothing", 404, "Not Found"),
        ("POST", "/ants/", 404, "Not Found"),
    ],
)
@pytest.mark.parametrize("accept", ["application/json", "application/xml"])
async def test_wrong_method_and_unknown_path(client, method, path, status, description, accept):
    resp = await client.request(method, path, headers={**AUTH, "Accept": accept})
    assert resp.status == status
    raw = await resp.read()
    data = parse_xml(raw) if accept == "application/xml" else await resp.json()
    assert resp.content_type == accept
    assert data == {"error": {"code": "5", "name": "REJECTED", "description": description}}


@pytest.mark.parametrize("row", list(ERRORS), ids=lambda r: r.name)
async def test_every_error_row_renders_in_both_formats(client, row):
    """A scenario can answer any row; status, code and text are the table's."""
    services_of(client).scenarios.add(
        {"match": {"vendor": "ants", "operation": "balance"}, "respond": {"error": row.name}}
    )
    expected_code = str(row.code) if row.code is not None else "5"
    for accept in ("application/json", "application/xml"):
        resp = await client.post("/ants/account/balance", headers={**AUTH, "Accept": accept})
        assert resp.status == row.status
        data = parse_xml(await resp.read()) if accept == "application/xml" else await resp.json()
        assert data["error"]["code"] == expected_code
        assert data["error"]["description"] == row.message


async def test_scenario_error_by_documented_code(client):
    services_of(client).scenarios.add({"match": {"vendor": "ants"}, "respond": {"error": 207}})
    resp = await client.get("/ants/sms/senderList", headers=XML)
    assert resp.status == 401
    assert parse_xml(await resp.read()) == AUTH_FAILED
