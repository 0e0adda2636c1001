"""Malformed requests on every FPT path answer ``{error, error_description}``, never HTML or a trace."""

from __future__ import annotations

import json

import pytest

from .conftest import assert_error, otp_body, token_body

PATHS = [
    "/oauth2/token",
    "/api/push-brandname-otp",
    "/api/push-brandname-international",
    "/api/create-campaign",
    "/api/push-brandname-ads",
    "/api/cancel-ads",
]
JSON = {"Content-Type": "application/json"}

# The seed's own example bodies: no commas between the members.
SEED_TOKEN_EXAMPLE = b"""{
  "access_token": "wVc5M1pwcU5wNE9OVzVYaw9kOXFUOUFa..."
  "session_id": "abcde"
  "CampaignCode": "NjM1575fbf9aa0929"
}"""


async def answer(response):
    assert response.content_type == "application/json"
    return response.status, json.loads(await response.read())


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "body",
    [
        SEED_TOKEN_EXAMPLE,
        b"",
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"null",
        b"\xff\xfe{}",
        b'{"a": "\\ud800"}',
        b'{"a": 1',
    ],
    ids=[
        "seed-example-without-commas",
        "empty",
        "text",
        "array",
        "string",
        "null",
        "bad-utf8",
        "lone-surrogate",
        "truncated",
    ],
)
async def test_malformed_body_is_1001(client, path, body):
    status, data = await answer(await client.post(f"/fpt{path}", data=body, headers=JSON))
    assert_error(status, data, 1001, 400)


@pytest.mark.parametrize("path", PATHS)
async def test_huge_body_is_413(client, path):
    body = json.dumps({"PhoneList": "0" * (1024 * 1024 + 1)}).encode()
    status, data = await answer(await client.post(f"/fpt{path}", data=body, headers=JSON))
    assert_error(status, data, 1001, 413)


@pytest.mark.parametrize("path", PATHS[1:])
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
async def test_wrong_content_type_is_415(client, path, content_type):
    status, data = await answer(
        await client.post(f"/fpt{path}", data=json.dumps(otp_body()), headers={"Content-Type": content_type})
    )
    assert_error(status, data, 1001, 415)


async def test_token_endpoint_takes_json_or_form_only(client):
    status, data = await answer(
        await client.post("/fpt/oauth2/token", data=json.dumps(token_body()), headers={"Content-Type": "text/plain"})
    )
    assert_error(status, data, 1001, 415)


async def test_missing_content_type_is_tolerated(client):
    response = await client.post(
        "/fpt/api/push-brandname-otp", data=json.dumps(otp_body()), skip_auto_headers=["Content-Type"]
    )
    assert response.status == 200, await response.text()


async def test_json_with_charset_is_json(client):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    response = await client.post("/fpt/api/push-brandname-otp", data=json.dumps(otp_body()).encode(), headers=headers)
    assert response.status == 200


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_wrong_method_is_405(client, path, method):
    status, data = await answer(await client.request(method, f"/fpt{path}"))
    assert_error(status, data, 1001, 405)


@pytest.mark.parametrize(
    "path", ["/", "/api", "/api/push-brandname", "/oauth2/authorize", "/api/push-brandname-otp/extra"]
)
async def test_unknown_path_is_404(client, path):
    status, data = await answer(await client.post(f"/fpt{path}", json={}))
    assert_error(status, data, 1001, 404)


@pytest.mark.parametrize("host", ["app.sms.fpt.net", "sandbox.sms.fpt.net"])
async def test_real_hosts_serve_the_real_paths(client, host):
    response = await client.post("/api/push-brandname-otp", json=otp_body(), headers={"Host": host})
    assert response.status == 200 and (await response.json())["Telco"] == "vina"
    status, data = await answer(await client.post("/api/nothing", json={}, headers={"Host": host}))
    assert_error(status, data, 1001, 404)
    response = await client.post("/oauth2/token", json=token_body(), headers={"Host": host})
    assert response.status == 200


async def test_requests_are_in_the_request_journal(client):
    await client.post("/fpt/api/push-brandname-otp", json=otp_body(access_token="bad"))
    entries = (await (await client.get("/_mock/requests", params={"vendor": "fpt"})).json())["requests"]
    assert (
        entries[0]["operation"] == "send_sms"
        and entries[0]["outcome"] == "INVALID_TOKEN"
        and entries[0]["status"] == 401
    )
