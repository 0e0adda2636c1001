"""OptSendSms / OptVerify: codes per the OTP config, verified once, expiry on the clock."""

from __future__ import annotations

import re

from tests.conftest import services_of
from tests.smartsmsbulk.conftest import BALANCE, OTP_ID, OTP_SEND, OTP_VERIFY, PHONE, balance, demo_account, otp, post


async def _latest(client, phone=PHONE):
    resp = await client.get("/_mock/otp", params={"vendor": "smartsmsbulk", "phone": phone})
    assert resp.status == 200
    return await resp.json()


def _verify(code: str, ref: str, phone: str = PHONE) -> dict:
    return {"otpId": OTP_ID, "phoneNo": phone, "refCode": ref, "otpCode": code}


async def test_full_flow_then_already_verified(client):
    _, sent, _ = await post(client, OTP_SEND, otp(otpCode="string", refCode="string"))  # the seed's placeholders
    assert list(sent) == ["status", "detail", "refCode", "prefix"]
    assert sent["status"] == "OK" and sent["detail"] == "SUCCESS" and sent["prefix"] == "PRT"
    assert re.fullmatch(r"[A-Za-z]{8}", sent["refCode"])
    latest = await _latest(client)
    assert re.fullmatch(r"\d{4}", latest["code"]) and latest["ref"] == sent["refCode"]
    message = services_of(client).store.get_message(latest["message_id"])
    assert latest["code"] in message.text and sent["refCode"] in message.text
    assert (await post(client, OTP_VERIFY, _verify(latest["code"], sent["refCode"])))[1] == {
        "status": "OK",
        "detail": "OTP is verify",
    }
    assert (await post(client, OTP_VERIFY, _verify(latest["code"], sent["refCode"])))[1] == {
        "status": "ERR",
        "detail": "OTP is already Verify",
    }


async def test_wrong_code_then_right_code(client):
    _, sent, _ = await post(client, OTP_SEND, otp())
    code = (await _latest(client))["code"]
    wrong = "0000" if code != "0000" else "1111"
    assert (await post(client, OTP_VERIFY, _verify(wrong, sent["refCode"])))[1] == {
        "status": "ERR",
        "detail": "OTP CODE IS NOT VALID",
    }
    assert (await post(client, OTP_VERIFY, _verify(code, sent["refCode"])))[1]["status"] == "OK"


async def test_expired_after_validity(client):
    _, sent, _ = await post(client, OTP_SEND, otp())
    code = (await _latest(client))["code"]
    await client.post("/_mock/clock", json={"advance": "301s"})
    assert (await post(client, OTP_VERIFY, _verify(code, sent["refCode"])))[1] == {
        "status": "ERR",
        "detail": "OTP is expired",
    }


async def test_otp_costs_credit(client):
    before = (await post(client, BALANCE, balance()))[1]["creditBalance"]
    await post(client, OTP_SEND, otp())
    assert (await post(client, BALANCE, balance()))[1]["creditBalance"] == before - 1


async def test_company_code_config_uses_the_partners_codes(aiohttp_client, make_app):
    config = {
        "vendors": {
            "smartsmsbulk": {
                "accounts": [demo_account(creditBalance=10)],
                "otp_configs": [{"otpId": "COMPANY1", "userId": 42, "type": "company", "prefix": "ACME"}],
            }
        }
    }
    client = await aiohttp_client(make_app(config))
    _, answer, _ = await post(client, OTP_SEND, otp(otp_id="COMPANY1"))
    assert answer == {"status": "ERR", "detail": "Invalid parameter otpCode", "refCode": None, "prefix": None}
    _, answer, _ = await post(client, OTP_SEND, otp(otp_id="COMPANY1", otpCode="123456"))
    assert answer["detail"] == "Invalid parameter refCode"
    _, answer, _ = await post(client, OTP_SEND, otp(otp_id="COMPANY1", otpCode="123456", refCode="MYREF"))
    assert answer == {"status": "OK", "detail": "SUCCESS", "refCode": "MYREF", "prefix": "ACME"}
    verify = {"otpId": "COMPANY1", "phoneNo": PHONE, "refCode": "MYREF", "otpCode": "123456"}
    assert (await post(client, OTP_VERIFY, verify))[1]["status"] == "OK"


async def test_otp_id_of_another_user_is_refused(client):
    _, answer, _ = await post(client, OTP_SEND, otp(user=6))
    assert answer["detail"] == "Invalid parameter otpId"


async def test_verify_with_bad_phone(client):
    _, answer, _ = await post(client, OTP_VERIFY, _verify("1234", "abc", phone="12"))
    assert answer == {"status": "ERR", "detail": "Invalid format parameter phoneNo"}
