"""Public FPT clients on the wire, pointed at the mock with only their base URL (or Host) changed.

* ``cuongtm2012/Infoxbox`` (Node, ``request`` with ``json:``): token with the seed's session_id
  ``789dC48b88e54f58ece5939f14a``, then push-brandname-otp with a fixed other one (``abcd``).
* Clients that make a new random session_id for every call (token and each API call).
Both break if the mock binds a token to its session_id; the strict binding is an opt-in flag.
"""

from __future__ import annotations

import uuid

import pytest

from .conftest import CLIENT_ID, CLIENT_SECRET, assert_error, b64

# What Node's ``request`` sends with ``json: {...}``: a JSON body and these headers.
NODE_HEADERS = {"Content-Type": "application/json", "accept": "application/json"}
TOKEN_REQUEST = {
    "grant_type": "client_credentials",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "scope": "send_brandname_otp",
    "session_id": "789dC48b88e54f58ece5939f14a",
}


async def _token(client, session_id: str, scope: str = "send_brandname_otp", host: str | None = None) -> str:
    headers = dict(NODE_HEADERS, **({"Host": host} if host else {}))
    path = "/oauth2/token" if host else "/fpt/oauth2/token"
    body = dict(TOKEN_REQUEST, session_id=session_id, scope=scope)
    response = await client.post(path, json=body, headers=headers)
    assert response.status == 200, await response.text()
    return (await response.json())["access_token"]


async def _push(client, token: str, session_id: str, phone: str, text: str, host: str | None = None):
    headers = dict(NODE_HEADERS, **({"Host": host} if host else {}))
    path = "/api/push-brandname-otp" if host else "/fpt/api/push-brandname-otp"
    body = {"access_token": token, "session_id": session_id, "BrandName": "FTI", "Phone": phone, "Message": b64(text)}
    response = await client.post(path, json=body, headers=headers)
    return response.status, await response.json()


async def test_infoxbox_flow_fixed_other_session_id(client):
    token = await _token(client, "789dC48b88e54f58ece5939f14a")
    status, data = await _push(client, token, "abcd", "0949123456", "Cam on quy khach su dung dich vu InfoBox.")
    assert status == 200, data
    assert data["Phone"] == "84949123456" and data["Telco"] == "vina" and data["BrandName"] == "FTI"


async def test_new_random_session_id_on_every_call(client):
    token = await _token(client, uuid.uuid4().hex, scope="send_brandname_otp send_brandname")
    for n in range(3):
        status, data = await _push(client, token, uuid.uuid4().hex, f"094912345{n}", f"Ma OTP {n}")
        assert status == 200, data
    code_body = {
        "access_token": token,
        "session_id": uuid.uuid4().hex,
        "CampaignName": "Chuong trinh random session",
        "BrandName": "FTI",
        "Message": "Giam gia 10%",
        "ScheduleTime": "2099-06-16 10:30",
        "Quota": "15000",
    }
    response = await client.post("/fpt/api/create-campaign", json=code_body, headers=NODE_HEADERS)
    assert response.status == 200, await response.text()
    code = (await response.json())["CampaignCode"]
    ads = {"access_token": token, "session_id": uuid.uuid4().hex, "CampaignCode": code, "PhoneList": "84949123456"}
    response = await client.post("/fpt/api/push-brandname-ads", json=ads, headers=NODE_HEADERS)
    assert response.status == 200 and (await response.json())["NumMessageSent"] == 1


async def test_the_seeds_own_session_ids_work_together(client):
    token = await _token(client, "789dC48b88e54f58ece5939f14a")
    status, data = await _push(client, token, "abcde", "0949123456", "test tin nhắn")
    assert status == 200 and data["Message"] == "test tin nhắn"


async def test_session_id_stays_required(client):
    token = await _token(client, "s")
    for session_id in ("", None):
        body = {"access_token": token, "BrandName": "FTI", "Phone": "0949123456", "Message": b64("x")}
        if session_id is not None:
            body["session_id"] = session_id
        response = await client.post("/fpt/api/push-brandname-otp", json=body)
        assert_error(response.status, await response.json(), 1001, 400)


@pytest.fixture
async def strict_client(aiohttp_client, make_app):
    config = {
        "vendors": {
            "fpt": {
                "accounts": [
                    {
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                        "brandnames": ["FTI"],
                        "bind_session_id": True,
                    }
                ]
            }
        }
    }
    return await aiohttp_client(make_app(config))


async def test_opt_in_strict_binding_rejects_another_session_id(strict_client):
    token = await _token(strict_client, "session-a")
    status, data = await _push(strict_client, token, "session-b", "0949123456", "hello")
    assert_error(status, data, 1011, 401)
    status, data = await _push(strict_client, token, "session-a", "0949123456", "hello")
    assert status == 200, data


@pytest.mark.parametrize("phone", ["84949123456", "0949123456", "+84949123456", "949123456", 84949123456, 949123456])
async def test_every_phone_format_is_answered_as_84(client, phone):
    token = await _token(client, "s")
    status, data = await _push(client, token, "other", phone, f"format {phone!r}")
    assert status == 200, data
    assert data["Phone"] == "84949123456" and data["Telco"] == "vina"


@pytest.mark.parametrize("phone", ["+0949123456", "+949123456", "0084949123456", "84949123", "0249123456"])
async def test_other_phone_formats_stay_1014(client, phone):
    token = await _token(client, "s")
    status, data = await _push(client, token, "s", phone, "bad phone")
    assert_error(status, data, 1014, 400)


async def test_ads_phone_list_takes_every_format(client):
    token = await _token(client, "s", scope="send_brandname")
    body = {
        "access_token": token,
        "session_id": "x",
        "CampaignName": "formats",
        "BrandName": "FTI",
        "Message": "Giam gia",
        "ScheduleTime": "2099-06-16 10:30",
        "Quota": 10,
    }
    code = (await (await client.post("/fpt/api/create-campaign", json=body)).json())["CampaignCode"]
    ads = {
        "access_token": token,
        "session_id": "y",
        "CampaignCode": code,
        "PhoneList": "84949123456,0949123457,+84949123458,949123459",
    }
    response = await client.post("/fpt/api/push-brandname-ads", json=ads)
    assert response.status == 200 and (await response.json())["NumMessageSent"] == 4


@pytest.mark.parametrize("host", ["api01.sms.fpt.net", "service.sms.fpt.net", "app.sms.fpt.net"])
async def test_public_client_flow_on_every_real_host(client, host):
    token = await _token(client, "789dC48b88e54f58ece5939f14a", host=host)
    status, data = await _push(client, token, "abcd", "0949123456", f"via {host}", host=host)
    assert status == 200 and data["Phone"] == "84949123456", data
