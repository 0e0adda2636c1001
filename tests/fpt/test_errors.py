"""Every row of the FPT error table is reachable: by real input where one exists, otherwise by a
scenario rule naming its code (loaded from a real YAML file)."""

from __future__ import annotations

import base64

import pytest

from mockserver.vendors.fpt.errors import ERRORS

from .conftest import DEMO_SESSION, DEMO_TOKEN, assert_error, clock_now, get_token, otp_body, post, token_body, vn_time

AUTH = {"access_token": DEMO_TOKEN, "session_id": DEMO_SESSION}


async def _campaign(client, quota: int = 1) -> str:
    when, _ = vn_time(await clock_now(client))
    body = {**AUTH, "CampaignName": "KM", "BrandName": "FTI", "Message": "m", "ScheduleTime": when, "Quota": quota}
    return (await post(client, "/api/create-campaign", body))[1]["CampaignCode"]


async def _altered(client):
    raw = bytearray(base64.b64decode(base64.b64decode(await get_token(client, session_id="s"))))
    raw[0] ^= 1
    token = base64.b64encode(base64.b64encode(bytes(raw))).decode()
    return await post(client, "/api/push-brandname-otp", otp_body(access_token=token, session_id="s"))


async def _expired(client):
    token = await get_token(client, session_id="s")
    await client.post("/_mock/clock", json={"advance": "2h"})
    return await post(client, "/api/push-brandname-otp", otp_body(access_token=token, session_id="s"))


async def _over_quota(client):
    code = await _campaign(client, quota=1)
    return await post(
        client, "/api/push-brandname-ads", {**AUTH, "CampaignCode": code, "PhoneList": "0949123456,0949123457"}
    )


async def _duplicate(client):
    await post(client, "/api/push-brandname-otp", otp_body())
    return await post(client, "/api/push-brandname-otp", otp_body())


async def _raw(client, method: str, path: str, **kw):
    response = await client.request(method, f"/fpt{path}", **kw)
    return response.status, await response.json()


# name -> a real request that triggers the row
REAL_TRIGGERS = {
    "INVALID_REQUEST": lambda c: _raw(
        c,
        "POST",
        "/api/push-brandname-otp",
        data=b'{"access_token": "x" "session_id": "abcde"}',
        headers={"Content-Type": "application/json"},
    ),
    "INVALID_SCOPE": lambda c: post(c, "/oauth2/token", token_body(scope="send_everything")),
    "INVALID_CLIENT": lambda c: post(c, "/oauth2/token", token_body(client_secret="nope")),
    "INVALID_GRANT": lambda c: post(c, "/oauth2/token", token_body(grant_type="client")),
    "INSUFFICIENT_SCOPE": lambda c: _insufficient(c),
    "INVALID_TOKEN": lambda c: post(c, "/api/push-brandname-otp", otp_body(access_token="unknown")),
    "TOKEN_ALTERED": _altered,
    "TOKEN_EXPIRED": _expired,
    "INVALID_PARAMETERS": lambda c: post(c, "/api/push-brandname-otp", otp_body(Message="dGVzdCB0aW4gbmjuhuq9u")),
    "UNSUPPORTED_GRANT_TYPE": lambda c: post(c, "/oauth2/token", token_body(grant_type="password")),
    "QUOTA_EXCEEDED": _over_quota,
    "DUPLICATE_MESSAGE": _duplicate,
    "BRANDNAME_NOT_REGISTERED": lambda c: post(c, "/api/push-brandname-otp", otp_body(BrandName="XYZ")),
    "NOT_FOUND": lambda c: _raw(c, "POST", "/api/push-brandname-sms", json={}),
    "METHOD_NOT_ALLOWED": lambda c: _raw(c, "GET", "/api/cancel-ads"),
    "UNSUPPORTED_MEDIA_TYPE": lambda c: _raw(
        c, "POST", "/api/push-brandname-otp", data="a=1", headers={"Content-Type": "text/plain"}
    ),
    "BODY_TOO_LARGE": lambda c: _raw(
        c,
        "POST",
        "/api/push-brandname-otp",
        data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        headers={"Content-Type": "application/json"},
    ),
}


async def _insufficient(client):
    token = await get_token(client, "send_brandname", session_id="s")
    return await post(client, "/api/push-brandname-otp", otp_body(access_token=token, session_id="s"))


# Rows with no input of their own: only a scenario produces them.
SCENARIO_ONLY = {
    "UNAUTHORIZED_CLIENT",
    "ACCESS_DENIED",
    "UNSUPPORTED_RESPONSE_TYPE",
    "SERVER_ERROR",
    "TEMPORARILY_UNAVAILABLE",
    "TEMPLATE_MISMATCH",
    "BANNED_KEYWORD",
    "INTERNAL",
}


def test_every_row_has_a_trigger():
    names = {row.name for row in ERRORS}
    assert names == set(REAL_TRIGGERS) | SCENARIO_ONLY
    assert not set(REAL_TRIGGERS) & SCENARIO_ONLY


def test_table_holds_the_seed_codes_with_both_languages():
    main = {
        row.code: row
        for row in ERRORS
        if row.concerns != "routing" and row.name not in {"UNSUPPORTED_MEDIA_TYPE", "BODY_TOO_LARGE", "INTERNAL"}
    }
    assert sorted(main) == [*list(range(1001, 1017)), 2501, 2513, 2518, 2519]
    assert (
        main[1001].message == "Request không hợp lệ." and main[1016].message == "Số lượng tin nhắn gửi đã vượt hạn mức"
    )
    for row in ERRORS:
        assert row.status != 200 and row.extra["en"] and row.message
        assert ERRORS.find(row.code).code == row.code


@pytest.mark.parametrize("name", sorted(REAL_TRIGGERS))
async def test_row_by_real_input(client, name):
    row = ERRORS[name]
    status, data = await REAL_TRIGGERS[name](client)
    assert_error(status, data, row.code, row.status)
    assert data["error_description"] == row.message


SCENARIO = """\
name: fpt-errors
rules:
  - name: fpt {code} on a magic number
    match: {{vendor: fpt, operation: send_sms, recipient: "84900000{n:03d}"}}
    respond: {{error: {code}}}
"""


@pytest.mark.parametrize("row", [r for r in ERRORS if r.name in SCENARIO_ONLY], ids=lambda r: r.name)
async def test_row_by_scenario(aiohttp_client, make_app, tmp_path, row):
    from mockserver.app import SERVICES

    path = tmp_path / "fpt-errors.yaml"
    path.write_text(SCENARIO.format(code=row.code, n=7), encoding="utf-8")
    app = make_app(scenarios=[path])
    client = await aiohttp_client(app)
    vendor = app[SERVICES].vendors["fpt"]
    recipient = vendor.sample_recipient(7)
    status, data = await post(client, "/api/push-brandname-otp", otp_body(recipient))
    expected = ERRORS.find(row.code)  # a code names the table's first row with it
    assert_error(status, data, row.code, expected.status)
    assert data["error_description"] == expected.message
    # another number is not touched by the rule, and nothing was journaled for the first
    assert (await post(client, "/api/push-brandname-otp", otp_body(vendor.sample_recipient(8))))[0] == 200
    messages = (await (await client.get("/_mock/messages")).json())["messages"]
    assert [m["recipient"] for m in messages] == [vendor.sample_recipient(8)]


async def test_scenario_by_row_name_and_on_the_token_endpoint(aiohttp_client, make_app, tmp_path):
    path = tmp_path / "token-down.yaml"
    path.write_text(
        "rules:\n"
        "  - match: {vendor: fpt, operation: token}\n"
        "    times: 1\n"
        "    respond: {error: TEMPORARILY_UNAVAILABLE}\n",
        encoding="utf-8",
    )
    client = await aiohttp_client(make_app(scenarios=[path]))
    assert_error(*(await post(client, "/oauth2/token", token_body())), 1007, 503)
    assert (await post(client, "/oauth2/token", token_body()))[0] == 200


async def test_banned_keyword_by_text_rule(aiohttp_client, make_app, tmp_path):
    path = tmp_path / "banned.yaml"
    path.write_text(
        "rules:\n  - match: {vendor: fpt, operation: create_campaign, text: '(?i)casino'}\n"
        "    respond: {error: 2519}\n",
        encoding="utf-8",
    )
    client = await aiohttp_client(make_app(scenarios=[path]))
    when, _ = vn_time(await clock_now(client))
    body = {
        **AUTH,
        "CampaignName": "KM",
        "BrandName": "FTI",
        "Message": "Online CASINO",
        "ScheduleTime": when,
        "Quota": 1,
    }
    assert_error(*(await post(client, "/api/create-campaign", body)), 2519, 400)
    body["Message"] = "Giam gia"
    assert (await post(client, "/api/create-campaign", body))[0] == 200
