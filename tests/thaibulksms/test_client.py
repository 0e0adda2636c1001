"""The reference client (mockserver.clients.thaibulksms) against the real server on a real port."""

from __future__ import annotations

import pytest

from mockserver.clients.thaibulksms import (
    ThaiBulkOtpClient,
    ThaiBulkOtpError,
    ThaiBulkSMSClient,
    ThaiBulkSMSError,
    parse_delivery_report,
)

from ..conftest import services_of
from .conftest import API_KEY, API_SECRET, OTP, OTP_APP, SMS


@pytest.fixture
async def sms(client):
    async with ThaiBulkSMSClient(API_KEY, API_SECRET, base_url=str(client.make_url(SMS))) as c:
        yield c


@pytest.fixture
def otp_base(client) -> str:
    return str(client.make_url(OTP))


async def test_send_and_credit(sms, client) -> None:
    result = await sms.send(
        ["0812345678", "bad", "+66898765432"], "สวัสดีครับ", sender="Demo", force="corporate", tags=["t1"]
    )
    assert result.credit_type == "corporate" and result.total_use_credit == 2 and result.remaining_credit == 4496
    assert [n.number for n in result.phone_number_list] == ["66812345678", "66898765432"]
    assert [(b.number, b.message) for b in result.bad_phone_number_list] == [("bad", "MSISDN is invalid.")]
    message = services_of(client).store.get_message(result.phone_number_list[0].message_id)
    assert message.request.headers["Content-Type"] == "application/x-www-form-urlencoded"  # form-encoded, as the vendor
    assert await sms.credit() == {"standard": 6093, "corporate": 4496}
    assert await sms.credit("standard") == {"standard": 6093}


async def test_errors_are_raised_with_the_row(sms, client) -> None:
    with pytest.raises(ThaiBulkSMSError) as info:
        await sms.send("0812345678", "hi", sender="Nope")
    assert (info.value.status, info.value.code, info.value.name) == (400, 111, "ERROR_SENDER_NOT_FOUND")
    async with ThaiBulkSMSClient(API_KEY, "wrong", base_url=str(client.make_url(SMS))) as bad:
        with pytest.raises(ThaiBulkSMSError) as info:
            await bad.credit()
    assert info.value.status == 401 and info.value.name == "ERROR_AUTHENTICATION_FAILED"


@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_otp_flow(client, otp_base, version: str) -> None:
    async with ThaiBulkOtpClient(OTP_APP["key"], OTP_APP["secret"], base_url=otp_base, version=version) as otp:
        issued = await otp.request("0812345678")
        pin = (await (await client.get("/_mock/otp", params={"vendor": "thaibulksms", "phone": "0812345678"})).json())[
            "code"
        ]
        with pytest.raises(ThaiBulkOtpError) as info:
            await otp.verify(issued.token, "x")
        assert info.value.message == "Code is invalid."
        assert await otp.verify(issued.token, pin) == "Code is correct."
        with pytest.raises(ThaiBulkOtpError) as info:
            await otp.verify(issued.token, pin)
        assert info.value.status == 400 and info.value.message == "Token is expire."


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_delivery_report_parser(sms, client, receiver, method: str) -> None:
    result = await sms.send(
        "0812345678", "hello", sender="MySMS", callback_url=receiver.url, callback_method=method, tags=["a", "b"]
    )
    [got] = await receiver.wait_for(1)
    report = parse_delivery_report(got.method, got.query, got.body)
    assert report.message_id == result.phone_number_list[0].message_id
    assert report.delivered and report.msisdn == "66812345678" and report.tags == ("a", "b")
    assert report.sent_time is not None and report.done_time is not None and report.sent_time <= report.done_time
