"""The reference client (mockserver/clients/fpt.py) against the real server on a real port."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mockserver.clients.fpt import FptClient, FptError
from mockserver.core.clock import HO_CHI_MINH

from .conftest import CLIENT_ID, CLIENT_SECRET, advance, clock_now


@pytest.fixture
async def fpt(client):
    base = str(client.make_url("/fpt"))
    async with FptClient(base, CLIENT_ID, CLIENT_SECRET, session_id="client-session") as api:
        yield api


async def token_requests(client) -> int:
    entries = (await (await client.get("/_mock/requests", params={"vendor": "fpt"})).json())["requests"]
    return sum(1 for e in entries if e["operation"] == "token" and e["status"] == 200)


async def test_push_otp_encodes_and_caches_the_token(client, fpt):
    first = await fpt.push_otp("0949123456", "Mã OTP của bạn là 4821", brandname="FTI", request_id="r-1")
    second = await fpt.push_otp("0979123456", "Mã OTP của bạn là 9034", brandname="FTI")
    assert first["Message"] == "Mã OTP của bạn là 4821" and first["RequestId"] == "r-1"
    assert (first["Telco"], second["Telco"]) == ("vina", "viettel")
    assert second["MessageId"] == first["MessageId"] + 1
    assert fpt.token_requests == 1 and await token_requests(client) == 1


async def test_one_token_per_scope(client, fpt):
    await fpt.push_otp("0949123456", "a", brandname="FTI")
    when = datetime.fromtimestamp(await clock_now(client), HO_CHI_MINH) + timedelta(days=1)
    code = await fpt.create_campaign(
        "KM", brandname="FTI", message="Giam gia", schedule=when.replace(hour=9, minute=15), quota=5
    )
    await fpt.push_ads(code, ["0949123456"])
    assert fpt.token_requests == 2


async def test_expired_token_is_refreshed_once_and_the_call_retried(client, fpt):
    await fpt.push_otp("0949123456", "first", brandname="FTI")
    await advance(client, 2 * 3600)  # POST /_mock/clock {"advance": 7200}
    sent = await fpt.push_otp("0949123456", "second", brandname="FTI")
    assert sent["Message"] == "second"
    assert fpt.token_requests == 2 and await token_requests(client) == 2
    outcomes = [e["outcome"] for e in (await (await client.get("/_mock/requests")).json())["requests"]]
    assert "TOKEN_EXPIRED" in outcomes


async def test_clock_advanced_with_a_duration_string(client, fpt):
    await fpt.push_otp("0949123456", "first", brandname="FTI")
    assert (await client.post("/_mock/clock", json={"advance": "2h"})).status == 200
    await fpt.push_otp("0949123456", "second", brandname="FTI")
    assert fpt.token_requests == 2


async def test_forgotten_token_after_reset_is_refreshed(client, fpt):
    await fpt.push_otp("0949123456", "first", brandname="FTI")
    await client.post("/_mock/reset")
    await fpt.push_otp("0949123456", "second", brandname="FTI")
    assert fpt.token_requests == 2


async def test_other_errors_are_raised_without_retry(client, fpt):
    with pytest.raises(FptError) as caught:
        await fpt.push_otp("0949123456", "x", brandname="NOT-MINE")
    assert (caught.value.code, caught.value.status) == (2513, 400)
    await fpt.push_otp("0949123456", "dup", brandname="FTI")
    with pytest.raises(FptError) as caught:
        await fpt.push_otp("0949123456", "dup", brandname="FTI")
    assert caught.value.code == 2501 and fpt.token_requests == 1


async def test_bad_credentials_raise_1008(client):
    async with FptClient(str(client.make_url("/fpt")), CLIENT_ID, "wrong") as api:
        with pytest.raises(FptError) as caught:
            await api.push_otp("0949123456", "x", brandname="FTI")
    assert (caught.value.code, caught.value.status) == (1008, 401)


async def test_bearer_mode(client):
    async with FptClient(str(client.make_url("/fpt")), CLIENT_ID, CLIENT_SECRET, bearer=True) as api:
        sent = await api.push_international("+6591234567", "Hello", brandname="FTI")
    assert sent["Phone"] == "6591234567" and sent["Telco"] == "international"


async def test_campaign_flow_through_the_client(client, fpt):
    now = datetime.fromtimestamp(await clock_now(client), HO_CHI_MINH)
    schedule = (now + timedelta(days=1)).replace(hour=19, minute=0, second=0, microsecond=0)
    code = await fpt.create_campaign("KM T6", brandname="FTI", message="Giam gia 10%", schedule=schedule, quota="15000")
    first = await fpt.push_ads(code, "84949123456,84949123457")
    assert (first["NumMessageSent"], first["NumRemainQuota"]) == (2, 14998)
    await advance(client, schedule.timestamp() + 3 * 3600 - await clock_now(client))  # 22:00, tokens expired too
    second = await fpt.push_ads(code, ["0909123456"])
    result = await fpt.cancel_ads(code)
    assert result == {"success": [second["BatchId"]], "fail": [first["BatchId"]]}
    with pytest.raises(FptError) as caught:
        await fpt.create_campaign("KM T6", brandname="FTI", message="x", schedule=schedule + timedelta(days=1), quota=1)
    assert caught.value.code == 1014
