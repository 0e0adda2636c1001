"""The reference client against the real server on an ephemeral port."""

from __future__ import annotations

import pytest

from mockserver.clients.smartsmsbulk import SmartSMSBulkClient, SmartSMSBulkError, parse_delivery_callback
from tests.smartsmsbulk.conftest import OTP_ID


@pytest.fixture
async def sms_client(client):
    base = str(client.server.make_url("/smartsmsbulk"))
    async with SmartSMSBulkClient(base, user_id=42, partner_id=21, api_key="demo-smartsmsbulk-key-42") as c:
        yield c


async def test_every_operation(client, sms_client, receiver):
    sent = await sms_client.send_sms("0852262236", "สวัสดี", sender_id=25, callback_url=receiver.url)
    assert sent["status"] == "OK"
    bulk = await sms_client.send_bulk([sms_client.sms_body(f"6681234567{i}", "hi", sender_id=25) for i in range(3)])
    assert bulk["totalValid"] == 3
    (received,) = await receiver.wait_for(1)
    (report,) = parse_delivery_callback(received.body)
    assert report.ref_id == sent["refId"] and report.phone_no == "66852262236"
    assert (await sms_client.query_dr(sent["refId"]))["drStatus"] == "OK"
    balance = await sms_client.check_balance()
    assert balance["creditBalance"] == 1000 - 4
    otp = await sms_client.otp_send(OTP_ID, "66852262236")
    code = (await (await client.get("/_mock/otp", params={"phone": "66852262236"})).json())["code"]
    assert (await sms_client.otp_verify(OTP_ID, "66852262236", otp["refCode"], code))["detail"] == "OTP is verify"


async def test_raise_on_error(client):
    base = str(client.server.make_url("/smartsmsbulk"))
    async with SmartSMSBulkClient(base, user_id=42, partner_id=21, api_key="wrong", raise_on_error=True) as c:
        with pytest.raises(SmartSMSBulkError) as info:
            await c.send_sms("66852262236", "hi", sender_id=25)
    assert info.value.detail == "Invalid checksum"
