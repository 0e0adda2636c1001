"""FPT fixtures: the demo credentials, token and request helpers against a real server."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import pytest

from mockserver.core.clock import HO_CHI_MINH

CLIENT_ID = "e615D85fc918f252e1754Ce2391c8Ef923AAB401"
CLIENT_SECRET = "663642d023602e28784F8789dC939f14a54ece5f588848beBdd6"
DEMO_TOKEN = "demo-fpt-access-token"
DEMO_SESSION = "abcde"
OTP = "send_brandname_otp"
ADS = "send_brandname"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def token_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": f"{OTP} {ADS}",
        "session_id": "789dC48b88e54f58ece5939f14a",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def otp_body(phone: str = "0949123456", text: str = "test tin nhắn", **overrides: Any) -> dict[str, Any]:
    body = {
        "access_token": DEMO_TOKEN,
        "session_id": DEMO_SESSION,
        "BrandName": "FTI",
        "Phone": phone,
        "Message": b64(text),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def vn_time(clock_now: float, *, days: int = 1, hour: int = 10, minute: int = 0) -> tuple[str, float]:
    """(``yyyy-mm-dd HH:ii``, Unix seconds) of ``days`` after the clock's date at hour:minute VN."""
    moment = datetime.fromtimestamp(clock_now, HO_CHI_MINH) + timedelta(days=days)
    moment = moment.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment.strftime("%Y-%m-%d %H:%M"), moment.timestamp()


async def post(client, path: str, body: Any = None, **kw: Any):
    """POST JSON to ``/fpt<path>``; returns (status, parsed JSON)."""
    response = (
        await client.post(f"/fpt{path}", json=body, **kw)
        if body is not None
        else await client.post(f"/fpt{path}", **kw)
    )
    return response.status, await response.json()


async def get_token(client, scope: str = f"{OTP} {ADS}", session_id: str = "s-1") -> str:
    status, data = await post(client, "/oauth2/token", token_body(scope=scope, session_id=session_id))
    assert status == 200, data
    return data["access_token"]


async def clock_now(client) -> float:
    response = await client.get("/_mock/clock")
    return (await response.json())["now"]


async def advance(client, seconds: float) -> None:
    response = await client.post("/_mock/clock", json={"advance": seconds})
    assert response.status == 200


def assert_error(status: int, data: Any, code: int, http: int) -> None:
    assert (status, data.get("error")) == (http, code), data
    assert set(data) == {"error", "error_description"}
    assert isinstance(data["error_description"], str) and data["error_description"]


@pytest.fixture
async def campaign_factory(client):
    """``await make(**overrides)`` -> (CampaignCode, schedule Unix seconds): a campaign tomorrow."""
    counter = iter(range(1, 1000))

    async def make(*, hour: int = 10, quota: Any = 100, name: str | None = None, **overrides: Any):
        when, at = vn_time(await clock_now(client), hour=hour)
        body = {
            "access_token": DEMO_TOKEN,
            "session_id": DEMO_SESSION,
            "CampaignName": name or f"Chuong trinh khuyen mai {next(counter)}",
            "BrandName": "FTI",
            "Message": "Giam gia 10% cho hoa don tren 10tr dong",
            "ScheduleTime": when,
            "Quota": quota,
        }
        body.update(overrides)
        status, data = await post(client, "/api/create-campaign", body)
        assert status == 200, data
        return data["CampaignCode"], at

    return make
