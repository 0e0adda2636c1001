"""Every answer the mock gives fits its operation's schema: happy flows, the seeds' examples, and
a sweep of bad inputs over every operation of every vendor; delivery reports fit theirs."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from mockserver.app import SERVICES
from mockserver.contracts import schemas as contracts
from mockserver.core.clock import HO_CHI_MINH
from mockserver.vendors import discover
from tests.smartsmsbulk.signing import checksum

from .conftest import Captured, basic, capture
from .seed_examples import REQUESTS

SMART = {"userId": 42, "partnerId": 21}
SMART_KEY = "demo-smartsmsbulk-key-42"
TBS = basic("c30eeef23eab29631ac350b6bd6ef6f9", "aeb2a61fe2d4f97ff069ea7e030cb193")
ANTS = basic("demo", "demo-ants-pass")
VOICE = {"username": "demo", "pass": "demo-voice-pass", "key": "demo-voice-key"}
OTC = "0DC8E7AD-5D4B-4D7B-9C8E-6F2A1B3C4D5E"
FPT_CLIENT = {
    "client_id": "e615D85fc918f252e1754Ce2391c8Ef923AAB401",
    "client_secret": "663642d023602e28784F8789dC939f14a54ece5f588848beBdd6",
}


def smart(operation: str, body: dict[str, Any]) -> dict[str, Any]:
    body = {**SMART, **body}
    body["chksum"] = checksum(operation, body, SMART_KEY)
    return body


async def otp_of(client, vendor: str, phone: str) -> dict[str, Any]:
    answer = await client.get("/_mock/otp", params={"vendor": vendor, "phone": phone})
    assert answer.status == 200
    return await answer.json()


async def smartsmsbulk_flow(client, services, callback: str) -> None:
    post = client.post
    r = await post(
        "/smartsmsbulk/api/v2/SendSMS",
        json=smart("send_sms", {"phoneNo": "66852262236", "senderId": 25, "message": "สวัสดี", "callbackUrl": callback}),
    )
    ref_id = (await r.json())["refId"]
    good = smart("send_bulk", {"phoneNo": "66818593778", "senderId": 25, "message": "hello", "callbackUrl": callback})
    await post("/smartsmsbulk/api/v2/SendBulkSMS", json=[good, {**good, "phoneNo": "12"}, "not an object"])
    await post("/smartsmsbulk/api/v2/SendBulkSMS", json=[{**good, "chksum": "0" * 32}])
    await post("/smartsmsbulk/api/delivery/QueryDR", json=smart("query_dr", {"refId": ref_id}))
    await post("/smartsmsbulk/api/delivery/QueryDR", json=smart("query_dr", {"refId": "nope"}))
    await post(
        "/smartsmsbulk/api/OptSendSms/OptSendSms",
        json=smart("otp_send", {"otpId": "20241226547ED26AAA", "phoneNo": "66852262236"}),
    )
    otp = await otp_of(client, "smartsmsbulk", "66852262236")
    verify = {"otpId": "20241226547ED26AAA", "phoneNo": "66852262236", "refCode": otp["ref"], "otpCode": otp["code"]}
    await post("/smartsmsbulk/api/OptSendSms/OptVerify", json=verify)
    await post("/smartsmsbulk/api/OptSendSms/OptVerify", json=verify)  # already verified
    await post(
        "/smartsmsbulk/api/credit/CheckBalance", json=smart("check_balance", {"timestamp": int(services.clock.now())})
    )
    await post("/smartsmsbulk/api/credit/CheckBalance", json=smart("check_balance", {"timestamp": 5}))


async def thaibulksms_flow(client, services, callback: str) -> None:
    h = {"Authorization": TBS}
    await client.post(
        "/thaibulksms/sms",
        headers=h,
        data={
            "msisdn": "0812345678,+66812345679,123",
            "message": "see https://example.com/a/long/path",
            "sender": "Demo",
            "shorten_url": "true",
            "callback_url": callback,
            "tag": "t1",
        },
    )
    await client.post(
        "/thaibulksms/sms",
        headers=h,
        json={
            "msisdn": "0812345670",
            "message": "json",
            "sender": "Demo",
            "force": "corporate",
            "callback_url": callback + "?get=1",
            "callback_method": "GET",
        },
    )
    text = next(m.text for m in services.store.messages.values() if m.vendor == "thaibulksms" and "/s/" in m.text)
    code = re.search(r"/s/(\w+)", text)[1]
    await client.get(f"/thaibulksms/s/{code}", allow_redirects=False)
    await client.get("/thaibulksms/s/unknown", allow_redirects=False)
    await client.get("/thaibulksms/credit", headers=h)
    await client.get("/thaibulksms/credit", headers=h, params={"force": "standard"})
    await client.get("/thaibulksms/credit", headers=h, params={"force": "gold"})
    await client.get("/thaibulksms/credit")
    app = {"key": "demo-otp-key", "secret": "demo-otp-secret"}
    for version in ("v2", "v1"):
        r = await client.post(f"/thaibulksms-otp/{version}/otp/request", json={**app, "msisdn": "0812345678"})
        token = (await r.json())["token"]
        pin = (await otp_of(client, "thaibulksms", "66812345678"))["code"]
        await client.post(
            f"/thaibulksms-otp/{version}/otp/verify",
            json={**app, "token": token, "pin": "000000" if pin != "000000" else "1"},
        )
        await client.post(f"/thaibulksms-otp/{version}/otp/verify", data={**app, "token": token, "pin": pin})
        await client.post(f"/thaibulksms-otp/{version}/otp/verify", json={**app, "token": token, "pin": pin})
        await client.post(f"/thaibulksms-otp/{version}/otp/request", json={**app})
    legacy = {"username": "demo", "password": "demo-thaibulksms-pass", "msisdn": "0812345678", "message": "old"}
    await client.post("/thaibulksms-legacy/sms_api.php", data={**legacy, "force": "standard"})
    await client.post("/thaibulksms-legacy/sms_api.php", data={**legacy, "password": "wrong"})


async def ants_flow(client, services, callback: str) -> None:
    h = {"Authorization": ANTS}
    r = await client.post(
        "/ants/sms/send",
        headers=h,
        json={
            "messages": [
                {
                    "from": "ANTS",
                    "destinations": [{"to": "66812345678"}, {"to": "0812"}],
                    "text": "hello",
                    "notifyUrl": callback,
                    "notifyContentType": "application/json",
                    "callbackData": "cb",
                }
            ]
        },
    )
    bulk_id = (await r.json())["bulkId"]
    await client.post(
        "/ants/sms/send", headers=h, json={"messages": [{"from": "Nope", "destinations": "66812345678", "text": "x"}]}
    )
    await client.get("/ants/sms/loginfo", headers=h, params={"bulkId": bulk_id})
    await client.get("/ants/sms/loginfo", headers=h)
    await client.post("/ants/sms/preview", headers=h, json={"message": "สวัสดี"})
    await client.post("/ants/account/balance", headers=h)
    await client.get("/ants/sms/senderList", headers=h)
    r = await client.post(
        "/ants/otp/requestOTP", headers=h, json={"otcId": OTC, "mobile": "66812345678", "notifyUrl": callback}
    )
    otp_id = (await r.json())["otpId"]
    await client.post("/ants/otp/resendOTP", headers=h, json={"otpId": otp_id})
    code = (await otp_of(client, "ants", "66812345678"))["code"]
    await client.post("/ants/otp/verifyOTP", headers=h, json={"otpId": otp_id, "otpCode": "x" + code})
    await client.post("/ants/otp/verifyOTP", headers=h, json={"otpId": otp_id, "otpCode": code})
    await client.post("/ants/otp/verifyOTP", headers=h, json={"otpId": otp_id, "otpCode": code})
    # the old platform
    await client.post("/ants/sms/1/text/single", headers=h, json={"from": "ANTS", "to": "66812345678", "text": "hi"})
    await client.post(
        "/ants/sms/1/text/multi",
        headers=h,
        json={"messages": [{"from": "ANTS", "to": ["66812345678", "0812"], "text": "a"}]},
    )
    await client.post(
        "/ants/sms/1/text/advanced",
        headers=h,
        json={"bulkId": "b-1", "messages": [{"from": "ANTS", "destinations": [{"to": "66812345678"}], "text": "b"}]},
    )


async def voiceotp_flow(client, services, callback: str) -> None:
    base = "/voiceotp/onsmsapivoice"
    r = await client.post(
        f"{base}/postSMS", json={**VOICE, "sender": "DAUSO1", "phonesend": "0399123456", "message": "123456"}
    )
    request_id = (await r.text()).split(",,,")[1]
    await client.post(
        f"{base}/postSMS", json={**VOICE, "sender": "DAUSO1", "phonesend": "0399123456", "message": "123456"}
    )
    await client.post(f"{base}/checkVoice", json={**VOICE, "request_id": request_id})
    await client.post(f"{base}/checkVoice", json={**VOICE, "request_id": "nope"})
    await client.post(f"{base}/checkBalance", json=VOICE)
    await client.post(f"{base}/checkBalance", json={**VOICE, "pass": "wrong"})


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def fpt_schedule(services, days: int = 1) -> str:
    """10:30 (a send window) in Ho Chi Minh City, ``days`` after the mock's today."""
    today = services.clock.datetime(HO_CHI_MINH).date()
    return f"{today + timedelta(days=days):%Y-%m-%d} 10:30"


async def fpt_flow(client, services, callback: str) -> None:
    base = "/fpt"
    grant = {
        **FPT_CLIENT,
        "grant_type": "client_credentials",
        "scope": "send_brandname_otp send_brandname",
        "session_id": "s1",
    }
    r = await client.post(f"{base}/oauth2/token", json=grant)
    token = (await r.json())["access_token"]
    await client.post(f"{base}/oauth2/token", data={**grant, "scope": "send_brandname_otp"})  # a form body
    await client.post(f"{base}/oauth2/token", json={**grant, "grant_type": "password"})  # 1015
    await client.post(f"{base}/oauth2/token", json={**grant, "client_secret": "wrong"})  # 1008
    auth = {"access_token": token, "session_id": "s1"}
    otp = {
        **auth,
        "BrandName": "FTI",
        "Phone": "0949123456",
        "Message": b64("Mã OTP của bạn là 123456"),
        "RequestId": "r-1",
    }
    await client.post(f"{base}/api/push-brandname-otp", json=otp)
    await client.post(f"{base}/api/push-brandname-otp", json=otp)  # 2501: same text, same number
    await client.post(f"{base}/api/push-brandname-otp", json={**otp, "BrandName": "NOPE"})  # 2513
    await client.post(
        f"{base}/api/push-brandname-otp",
        headers={"Authorization": f"Bearer {token}"},
        json={k: v for k, v in otp.items() if k != "access_token"} | {"Phone": "84981234567"},
    )
    await client.post(f"{base}/api/push-brandname-otp", json={**otp, "session_id": "other"})  # 1011
    intl = {**otp, "Phone": "+6591234567"}
    await client.post(f"{base}/api/push-brandname-international", json=intl)
    await client.post(f"{base}/api/push-brandname-international", json={**intl, "Phone": "84949123456"})  # 1014
    campaign = {
        **auth,
        "CampaignName": "Khuyến mãi",
        "BrandName": "FTI",
        "Message": "Giảm giá 10%",
        "ScheduleTime": fpt_schedule(services),
        "Quota": 3,
    }
    r = await client.post(f"{base}/api/create-campaign", json=campaign)
    code = (await r.json())["CampaignCode"]
    await client.post(f"{base}/api/create-campaign", json=campaign)  # 1014: the name is taken
    await client.post(
        f"{base}/api/create-campaign",
        json={**campaign, "CampaignName": "Đêm", "ScheduleTime": fpt_schedule(services)[:-5] + "23:00"},
    )
    ads = {**auth, "CampaignCode": code, "PhoneList": "84949123456,0981234567"}
    await client.post(f"{base}/api/push-brandname-ads", json=ads)
    await client.post(
        f"{base}/api/push-brandname-ads", json={**ads, "PhoneList": "0912345678,0912345679"}
    )  # 1016: over quota
    await client.post(f"{base}/api/cancel-ads", json={**auth, "CampaignCode": code})
    await client.post(f"{base}/api/cancel-ads", json={**auth, "CampaignCode": "NjM2nope"})  # 1014
    await client.post(f"{base}/api/cancel-ads", json={"access_token": token})  # 1001: no session_id


# Each vendor's happy flow, by vendor name. Every vendor that ``discover()`` finds must have one
# (``test_every_vendor_has_a_flow``): a new vendor package fails here until its flow is written.
FLOWS = {
    "smartsmsbulk": smartsmsbulk_flow,
    "thaibulksms": thaibulksms_flow,
    "ants": ants_flow,
    "voiceotp": voiceotp_flow,
    "fpt": fpt_flow,
}


def flows() -> list:
    """The flows of every discovered vendor, in discovery order."""
    return [FLOWS[vendor.name] for vendor in discover() if vendor.name in FLOWS]


def test_every_vendor_has_a_flow() -> None:
    assert sorted(FLOWS) == sorted(v.name for v in discover()), "write a flow for each vendor in FLOWS"


# Bad inputs for every operation: (content type, body). Each must get the vendor's error shape.
GARBAGE = [
    ("application/json", b"{"),
    ("application/json", b"[]"),
    ("application/json", b"{}"),
    ("application/json", b'{"unknown": 1, "userId": "x"}'),
    ("application/json", b'"\\ud800"'),
    ("application/json", b"\xff\xfe"),
    ("application/x-www-form-urlencoded", b"a=b&c=%ZZ"),
    ("text/plain", b"hello"),
    ("application/xml", b"<a><b>1</b></a>"),
    (None, b""),
    ("application/json", b"[" + b"1," * 600_000 + b"1]"),
]


async def sweep(client, services) -> None:
    for vendor in services.vendors.values():
        sample = vendor.sample_send(vendor.sample_recipient(1))
        auth = sample.headers.get("Authorization")  # the vendors that authenticate by header
        for mount in vendor.mounts():
            for op in mount.operations:
                path = mount.prefix + op.path.replace("{code}", "x")
                for with_auth in (False, True):
                    for media, body in GARBAGE:
                        headers = {"Content-Type": media} if media else {}
                        if with_auth and auth:
                            headers["Authorization"] = auth
                        await client.request(op.method, path, data=body, headers=headers, allow_redirects=False)
        await mutate(client, sample)


async def mutate(client, sample) -> None:
    """The vendor's own valid send with each field dropped, emptied, retyped or made huge."""
    media = sample.headers.get("Content-Type", "")
    if "json" in media:
        body = json.loads(sample.body)
        encode = lambda d: json.dumps(d).encode()  # noqa: E731
    else:
        body = dict(parse_qsl(sample.body.decode()))
        encode = lambda d: urlencode(d).encode()  # noqa: E731
    if not isinstance(body, dict):
        return
    for key in list(body):
        for value in (None, "", 12345, "x" * 2000, ["a"], {"a": 1}, True, "0812345678", "+66812345678"):
            changed = {k: v for k, v in body.items() if k != key} if value is None else {**body, key: value}
            if "json" not in media:
                changed = {k: v for k, v in changed.items() if isinstance(v, str)}
            await client.request(sample.method, sample.path, data=encode(changed), headers=dict(sample.headers))


async def send_seed_examples(client) -> None:
    for _vendor, _, method, url, body in REQUESTS:
        split = urlsplit(url)
        await client.request(method, split.path, json=body, headers={"Host": split.netloc})


def misfits(seen: list[Captured]) -> list[str]:
    bad = []
    for c in seen:
        oc = contracts.operation(c.vendor, c.operation)
        if c.outcome.startswith("fault") or (300 <= c.status < 400 and not c.body):
            continue
        if c.content_type == "application/xml":  # ANTS answers XML to XML requests: not schema-checked
            continue
        checkable, instance = oc.response_instance(c.content_type, c.body)
        assert checkable, f"{c.vendor.name} {c.operation} answered {c.content_type}"
        kind, problems = oc.classify(instance)
        if kind is None:
            bad.append(
                f"{c.vendor.name} {c.operation} {c.method} {c.path[:60]} -> {c.status} {c.body[:120]!r}: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems[:3])
            )
        elif kind == "success" and c.outcome != "ok":
            bad.append(f"{c.vendor.name} {c.operation}: refusal {c.outcome} fits the success schema: {c.body[:120]!r}")
    return bad


async def test_every_answer_fits_its_schema(aiohttp_client, make_app, receiver):
    app = make_app()
    seen = capture(app)
    client = await aiohttp_client(app)
    services = app[SERVICES]
    for flow in flows():
        await flow(client, services, receiver.url)
    await send_seed_examples(client)
    await sweep(client, services)

    assert misfits(seen) == []
    # every operation was reached, and answered both ways
    outcomes: dict[tuple[str, str], set[str]] = {}
    for c in seen:
        oc = contracts.operation(c.vendor, c.operation)
        if c.content_type == "application/xml":
            continue
        ok, instance = oc.response_instance(c.content_type, c.body)
        kind = oc.classify(instance)[0] if ok and c.body else ("success" if c.status == oc.success_status else "error")
        outcomes.setdefault((c.vendor.name, c.operation), set()).add(kind)
    for vendor in services.vendors.values():
        for mount in vendor.mounts():
            for op in mount.operations:
                if contracts.operation(vendor, op.name).response_media == "application/xml":
                    continue  # XML-only answers (ThaiBulkSMS legacy) are not schema-checked; their own tests parse them
                assert outcomes.get((vendor.name, op.name)) == {"success", "error"}, (vendor.name, op.name)
    assert len(seen) > 500


async def test_every_delivery_report_fits_its_schema(aiohttp_client, make_app, receiver):
    app = make_app()
    client = await aiohttp_client(app)
    services = app[SERVICES]
    for flow in flows():
        await flow(client, services, receiver.url)
    await receiver.wait_for(6)
    await asyncio.sleep(0.2)
    checked = set()
    for record in services.store.iter_callbacks():
        vendor = services.vendors[record.vendor]
        if record.method == "GET":
            body: Any = dict(parse_qsl(urlsplit(record.url).query, keep_blank_values=True))
            body.pop("get", None)
        else:
            body = json.loads(record.body)
        # One callback may carry the reports of several sends (SmartSMSBulk batches those to one
        # URL within its batch window): the body must fit the callback schema of each.
        for operation in {services.store.get_message(m).operation for m in record.message_ids}:
            oc = contracts.operation(vendor, operation)
            assert oc.problems("callback", body) == [], (record.vendor, operation, body)
            checked.add((record.vendor, operation, record.method))
    assert {
        ("smartsmsbulk", "send_sms", "POST"),
        ("smartsmsbulk", "send_bulk", "POST"),
        ("thaibulksms", "send_sms", "POST"),
        ("thaibulksms", "send_sms", "GET"),
        ("ants", "send_sms", "POST"),
        ("ants", "otp_request", "POST"),
    } <= checked
