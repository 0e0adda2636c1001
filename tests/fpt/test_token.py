"""/oauth2/token and the token rules every API applies (scopes, session, expiry, tampering)."""

from __future__ import annotations

import base64

import pytest

from .conftest import (
    ADS,
    OTP,
    advance,
    assert_error,
    get_token,
    otp_body,
    post,
    token_body,
)


async def test_token_answers_the_seed_shape(client):
    status, data = await post(client, "/oauth2/token", token_body(scope=OTP))
    assert status == 200
    assert list(data) == ["access_token", "expires_in", "token_type", "scope"]
    assert data["expires_in"] == 3600 and data["token_type"] == "Bearer" and data["scope"] == OTP
    # base64 text of base64 text, like the seed's example tokens
    inner = base64.b64decode(data["access_token"], validate=True)
    base64.b64decode(inner, validate=True)


async def test_scope_echo_keeps_order_and_drops_repeats(client):
    status, data = await post(client, "/oauth2/token", token_body(scope=f"{ADS}  {OTP} {ADS}"))
    assert status == 200 and data["scope"] == f"{ADS} {OTP}"


async def test_each_request_gets_a_new_token_and_both_work(client):
    first, second = await get_token(client), await get_token(client)
    assert first != second
    for token, phone in ((first, "0949123456"), (second, "0949123457")):
        status, _ = await post(client, "/api/push-brandname-otp", otp_body(phone, access_token=token, session_id="s-1"))
        assert status == 200


async def test_form_encoded_token_request_is_taken(client):
    response = await client.post("/fpt/oauth2/token", data=token_body(scope=OTP))
    assert response.status == 200 and (await response.json())["scope"] == OTP


@pytest.mark.parametrize(
    ("overrides", "code", "http"),
    [
        ({"grant_type": "password"}, 1015, 400),
        ({"grant_type": "authorization_code"}, 1015, 400),
        ({"grant_type": "refresh_token"}, 1015, 400),
        ({"grant_type": "client_credential"}, 1009, 400),
        ({"grant_type": None}, 1009, 400),
        ({"grant_type": 1}, 1009, 400),
        ({"grant_type": {}}, 1009, 400),  # not hashable: was a 500 (found by schemathesis)
        ({"grant_type": ["password"]}, 1009, 400),
        ({"client_id": "e615D85fc918f252e1754Ce2391c8Ef923AAB402"}, 1008, 401),
        ({"client_secret": "wrong"}, 1008, 401),
        ({"client_secret": None}, 1008, 401),
        ({"client_id": None}, 1008, 401),
        ({"scope": "send_brandname_otp admin"}, 1005, 400),
        ({"scope": ""}, 1005, 400),
        ({"scope": None}, 1005, 400),
        ({"scope": ["send_brandname_otp"]}, 1005, 400),
        ({"session_id": None}, 1001, 400),
        ({"session_id": ""}, 1001, 400),
        ({"session_id": 12}, 1001, 400),
    ],
)
async def test_token_request_errors(client, overrides, code, http):
    status, data = await post(client, "/oauth2/token", token_body(**overrides))
    assert_error(status, data, code, http)


async def test_client_scopes_come_from_the_config(aiohttp_client, make_app):
    config = {
        "vendors": {
            "fpt": {
                "accounts": [
                    {"client_id": "otp-only", "client_secret": "s3cret", "scopes": [OTP], "brandnames": ["SHOP"]}
                ]
            }
        }
    }
    client = await aiohttp_client(make_app(config))
    assert (await post(client, "/oauth2/token", token_body(client_id="otp-only", client_secret="s3cret", scope=OTP)))[
        0
    ] == 200
    status, data = await post(
        client, "/oauth2/token", token_body(client_id="otp-only", client_secret="s3cret", scope=ADS)
    )
    assert_error(status, data, 1005, 400)


async def test_expired_token_is_1013_after_the_clock_moves(client):
    token = await get_token(client, OTP)
    await advance(client, 3599)
    status, _ = await post(client, "/api/push-brandname-otp", otp_body(access_token=token, session_id="s-1"))
    assert status == 200
    await advance(client, 1)
    status, data = await post(
        client, "/api/push-brandname-otp", otp_body("0949123457", access_token=token, session_id="s-1")
    )
    assert_error(status, data, 1013, 401)


async def test_expires_in_comes_from_the_account(aiohttp_client, make_app):
    config = {
        "vendors": {
            "fpt": {"accounts": [{"client_id": "c", "client_secret": "s", "brandnames": ["FTI"], "expires_in": 60}]}
        }
    }
    client = await aiohttp_client(make_app(config))
    status, data = await post(
        client, "/oauth2/token", token_body(client_id="c", client_secret="s", scope=OTP, session_id="s-1")
    )
    assert data["expires_in"] == 60
    await advance(client, 61)
    status, data = await post(
        client, "/api/push-brandname-otp", otp_body(access_token=data["access_token"], session_id="s-1")
    )
    assert_error(status, data, 1013, 401)


async def test_pre_issued_demo_token_never_expires(client):
    await advance(client, 10 * 365 * 86400)
    status, data = await post(client, "/api/push-brandname-otp", otp_body())
    assert status == 200, data


async def test_token_works_with_any_session_id_by_default(client):
    token = await get_token(client, OTP, session_id="session-a")
    status, data = await post(client, "/api/push-brandname-otp", otp_body(access_token=token, session_id="session-b"))
    assert status == 200, data


async def test_missing_scope_is_1010(client):
    otp_token = await get_token(client, OTP)
    status, data = await post(
        client, "/api/cancel-ads", {"access_token": otp_token, "session_id": "s-1", "CampaignCode": "x"}
    )
    assert_error(status, data, 1010, 403)
    ads_token = await get_token(client, ADS)
    status, data = await post(client, "/api/push-brandname-otp", otp_body(access_token=ads_token, session_id="s-1"))
    assert_error(status, data, 1010, 403)


async def test_unknown_token_is_1011(client):
    for value in ("nope", "wVc5M1pwcU5wNE9OVzVYaw9kOXFUOUFa", 12345):
        status, data = await post(client, "/api/push-brandname-otp", otp_body(access_token=value))
        assert_error(status, data, 1011, 401)


async def test_altered_token_is_1012(client):
    token = await get_token(client, OTP)
    inner = bytearray(base64.b64decode(token))
    raw = bytearray(base64.b64decode(bytes(inner)))
    raw[10] ^= 0xFF  # change one byte of the token id, keep the shape
    altered = base64.b64encode(base64.b64encode(bytes(raw))).decode()
    status, data = await post(client, "/api/push-brandname-otp", otp_body(access_token=altered, session_id="s-1"))
    assert_error(status, data, 1012, 401)
    assert data["error_description"] == "Access token đã bị thay đổi"


async def test_token_from_before_a_reset_is_1011(client):
    token = await get_token(client, OTP)
    assert (await client.post("/_mock/reset")).status == 200
    status, data = await post(client, "/api/push-brandname-otp", otp_body(access_token=token, session_id="s-1"))
    assert_error(status, data, 1011, 401)


async def test_bearer_header_is_accepted_and_body_token_wins(client):
    token = await get_token(client, OTP)
    body = otp_body(session_id="s-1")
    del body["access_token"]
    response = await client.post("/fpt/api/push-brandname-otp", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    body = otp_body("0949123457", session_id="s-1", access_token="garbage")
    response = await client.post("/fpt/api/push-brandname-otp", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401 and (await response.json())["error"] == 1011
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("missing", ["access_token", "session_id"])
async def test_api_call_without_token_or_session_is_1001(client, missing):
    status, data = await post(client, "/api/push-brandname-otp", otp_body(**{missing: None}))
    assert_error(status, data, 1001, 400)
