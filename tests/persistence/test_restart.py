"""A sandbox survives a restart: SIGTERM, start again on the same ``--data-dir``, and every
``/_mock/`` listing is as it was; pending callbacks go on retrying, scheduled sends fire when
due, tokens expire by the restored clock and ids are never drawn twice."""

from __future__ import annotations

import base64
import signal
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from mockserver.core.clock import HO_CHI_MINH
from tests.persistence.conftest import Receiver, get, listings, wait_for
from tests.shipit.conftest import Served
from tests.smartsmsbulk.signing import checksum

SEED = "5"
TBS_AUTH = ("c30eeef23eab29631ac350b6bd6ef6f9", "aeb2a61fe2d4f97ff069ea7e030cb193")
FPT_CLIENT = {
    "grant_type": "client_credentials",
    "client_id": "e615D85fc918f252e1754Ce2391c8Ef923AAB401",
    "client_secret": "663642d023602e28784F8789dC939f14a54ece5f588848beBdd6",
    "scope": "send_brandname_otp send_brandname",
    "session_id": "abcde",
}
RULE = {
    "name": "kept over restarts",
    "match": {"vendor": "smartsmsbulk", "recipient": "66811111111"},
    "respond": {"error": "INSUFFICIENT_CREDIT"},
}


def smartsmsbulk_send(served: Served, phone: str, callback_url: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"phoneNo": phone, "userId": 42, "partnerId": 21, "senderId": 25, "message": "Hello"}
    if callback_url:
        body["callbackUrl"] = callback_url
    body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
    return requests.post(f"{served.local_url}/smartsmsbulk/api/v2/SendSMS", json=body, timeout=10).json()


def fpt(served: Served, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{served.local_url}/fpt{path}", json=body, timeout=10)


def fpt_otp(served: Served, token: str) -> requests.Response:
    message = base64.b64encode(b"Ma OTP 123456").decode()
    return fpt(
        served,
        "/api/push-brandname-otp",
        {"access_token": token, "session_id": "abcde", "BrandName": "FTI", "Phone": "0949123456", "Message": message},
    )


def fill(served: Served, receiver: Receiver) -> dict[str, Any]:
    """Traffic to every vendor, an OTP, a token, a campaign, a runtime rule, a failing callback,
    and a moved, frozen clock."""
    url = served.local_url
    first = smartsmsbulk_send(served, "66812345678", callback_url=receiver.url)  # nobody listens there yet
    assert first["status"] == "OK", first
    resp = requests.post(
        f"{url}/thaibulksms/sms", auth=TBS_AUTH, data={"msisdn": "0898765432", "message": "Hi", "sender": "Demo"}
    )
    assert resp.status_code == 200, resp.text
    resp = requests.post(
        f"{url}/ants/sms/send",
        auth=("demo", "demo-ants-pass"),
        json={"messages": [{"from": "ANTS", "destinations": [{"to": "66812345679"}], "text": "Hello"}]},
    )
    assert resp.status_code == 200, resp.text
    voice = {"username": "demo", "pass": "demo-voice-pass", "key": "demo-voice-key", "sender": "DAUSO1"}
    call = {**voice, "phonesend": "0361234567", "message": "1"}
    resp = requests.post(f"{url}/voiceotp/onsmsapivoice/postSMS", json=call)
    assert resp.text.startswith("1,"), resp.text
    token = fpt(served, "/oauth2/token", FPT_CLIENT).json()["access_token"]
    assert fpt_otp(served, token).status_code == 200
    tomorrow = (datetime.now(HO_CHI_MINH) + timedelta(days=1)).strftime("%Y-%m-%d")
    campaign = fpt(
        served,
        "/api/create-campaign",
        {
            "access_token": token, "session_id": "abcde", "CampaignName": "restart", "BrandName": "FTI",
            "Message": "Giam gia", "ScheduleTime": f"{tomorrow} 10:30", "Quota": 10,
        },
    )  # fmt: skip
    code = campaign.json()["CampaignCode"]
    pushed = fpt(
        served, "/api/push-brandname-ads", {"access_token": token, "session_id": "abcde", "CampaignCode": code,
                                            "PhoneList": "84949123456"}
    )  # fmt: skip
    assert pushed.json()["NumMessageSent"] == 1, pushed.text
    resp = requests.post(f"{url}/_mock/scenario/rules", json=RULE)
    assert resp.status_code == 201, resp.text
    wait_for(
        lambda: any(cb["attempts"] for cb in get(served, "/_mock/callbacks")["callbacks"]), what="a failed attempt"
    )
    resp = requests.post(f"{url}/_mock/clock", json={"advance": "10m"})
    assert resp.status_code == 200
    wait_for(lambda: all(m["status"] in ("delivered", "scheduled") for m in get(served, "/_mock/messages")["messages"]))
    assert requests.post(f"{url}/_mock/clock", json={"freeze": True}).json()["frozen"] is True
    otp = requests.post(
        f"{url}/thaibulksms-otp/v2/otp/request",
        data={"key": "demo-otp-key", "secret": "demo-otp-secret", "msisdn": "0812345678"},
    ).json()
    assert get(served, "/_mock/otp?vendor=thaibulksms&phone=0812345678")["code"]
    return {"token": token, "otp_token": otp["token"], "first_ref": first["refId"], "campaign": code}


def credit(served: Served) -> Any:
    return requests.get(f"{served.local_url}/thaibulksms/credit", auth=TBS_AUTH, timeout=10).json()


def without_late_attempts(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``after``'s callbacks cut to the attempts ``before`` saw: at shutdown a pending callback
    gets one more attempt in the grace period, which a restart rightly keeps."""
    seen = {cb["id"]: len(cb["attempts"]) for cb in before["callbacks"]["callbacks"]}
    cut = [dict(cb, attempts=cb["attempts"][: seen.get(cb["id"], 0)]) for cb in after["callbacks"]["callbacks"]]
    return {**after, "callbacks": {**after["callbacks"], "callbacks": cut}}


def test_a_restart_keeps_every_listing_and_resumes(serve: Any, tmp_path: Path, receiver: Receiver) -> None:
    data_dir = tmp_path / "data"
    first = serve(data_dir, "--seed", SEED)
    facts = fill(first, receiver)
    balance = credit(first)
    before = listings(first)
    assert before["callbacks"]["callbacks"][0]["state"] == "pending"
    assert all("request" in d and "response" in d for d in before["details"])
    assert any(r["name"] == RULE["name"] for r in before["scenario"]["rules"])
    code, _, err = first.stop(signal.SIGTERM)
    assert code == 0, err

    second = serve(data_dir, "--seed", SEED)
    after = listings(second)
    assert without_late_attempts(before, after) == before
    assert after["callbacks"]["callbacks"][0]["state"] == "pending"
    assert credit(second) == balance
    # the runtime rule still answers; the token and the OTP still work by the restored clock
    assert smartsmsbulk_send(second, "66811111111")["status"] == "ERR"
    assert fpt_otp(second, facts["token"]).status_code == 200
    pin = get(second, "/_mock/otp?vendor=thaibulksms&phone=0812345678")["code"]
    verified = requests.post(
        f"{second.local_url}/thaibulksms-otp/v2/otp/verify",
        data={"key": "demo-otp-key", "secret": "demo-otp-secret", "token": facts["otp_token"], "pin": pin},
    )
    assert verified.json()["status"] == "success", verified.text
    # ids go on: a new send draws a new id, where a fresh server with the same seed repeats the first
    again = smartsmsbulk_send(second, "66812345670")["refId"]
    assert again.split("-", 1)[1] != facts["first_ref"].split("-", 1)[1]
    assert again not in {m["id"] for m in before["messages"]["messages"]}
    fresh = serve(None, "--seed", SEED)
    assert smartsmsbulk_send(fresh, "66812345678")["refId"].split("-", 1)[1] == facts["first_ref"].split("-", 1)[1]

    # the receiver comes up; moving the frozen clock two days releases the retry and the campaign
    receiver.start()
    assert requests.post(f"{second.local_url}/_mock/clock", json={"advance": "2d"}).status_code == 200
    delivered = wait_for(
        lambda: [cb for cb in get(second, "/_mock/callbacks")["callbacks"] if cb["state"] == "delivered"],
        what="the restored callback delivered",
    )
    assert delivered[0]["id"] == before["callbacks"]["callbacks"][0]["id"]
    assert receiver.bodies and facts["first_ref"].encode() in receiver.bodies[0]
    ads = get(second, "/_mock/messages?vendor=fpt")["messages"]
    campaign_message = next(m for m in ads if m["operation"] == "send_ads")
    assert campaign_message["status"] == "delivered"
    assert [s["status"] for s in campaign_message["timeline"]] == ["accepted", "scheduled", "sent", "delivered"]
    # two days on the restored clock: the FPT token (1 hour) has expired
    assert fpt_otp(second, facts["token"]).json()["error"] == 1013
    code, _, err = second.stop(signal.SIGTERM)
    assert code == 0, err


def test_a_reset_is_kept_too(serve: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = serve(data_dir)
    assert smartsmsbulk_send(first, "66812345678")["status"] == "OK"
    assert requests.post(f"{first.local_url}/_mock/reset", timeout=10).status_code == 200
    last = smartsmsbulk_send(first, "66812345671")["refId"]
    first.stop(signal.SIGTERM)
    second = serve(data_dir)
    assert [m["id"] for m in get(second, "/_mock/messages")["messages"]] == [last]
    assert get(second, "/_mock/requests")["count"] == 1


def test_inbound_messages_and_their_replies_are_kept(serve: Any, tmp_path: Path) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Customer(BaseHTTPRequestHandler):  # answers every subscriber SMS as the ANTS 2-way page says
        def do_POST(self) -> None:
            sms = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answer = {"TRAIN_ID": sms["TRAN_ID"], "RESULT_CODE": "00", "RESULT_NAME": "SUCCESS", "MESSAGE": "Thanks"}
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    customer = ThreadingHTTPServer(("127.0.0.1", 0), Customer)
    threading.Thread(target=customer.serve_forever, daemon=True).start()
    try:
        data_dir = tmp_path / "data"
        first = serve(data_dir)
        url = f"http://127.0.0.1:{customer.server_address[1]}/2way"
        sent = requests.post(
            f"{first.local_url}/_mock/inbound",
            json={"vendor": "ants", "from": "0812345678", "keyword": "ANTS", "text": "ANTS REGISTER", "url": url},
            timeout=10,
        )
        assert sent.json()["status"] == "answered", sent.text
        wait_for(lambda: get(first, "/_mock/messages?vendor=ants&status=delivered")["messages"], what="the reply")
        before = get(first, "/_mock/inbound"), get(first, "/_mock/messages?vendor=ants")
        first.stop(signal.SIGTERM)
        second = serve(data_dir)
        assert (get(second, "/_mock/inbound"), get(second, "/_mock/messages?vendor=ants")) == before
        again = requests.post(
            f"{second.local_url}/_mock/inbound",
            json={"vendor": "ants", "from": "0812345678", "text": "ANTS AGAIN", "url": url},
            timeout=10,
        ).json()
        assert again["id"] not in {r["id"] for r in before[0]["inbound"]}  # numbering goes on
    finally:
        customer.shutdown()
        customer.server_close()
