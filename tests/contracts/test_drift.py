"""``mockserver contract check``: recorded traffic made from the seeds' own examples does not
drift; a doctored recording does, and the report names what and where."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from mockserver.cli import main
from tests.smartsmsbulk.signing import checksum

from .seed_examples import REQUESTS, RESPONSES

SMART = "https://services.smartsmsbulk.com"
KEY = "demo-smartsmsbulk-key-42"


def signed(operation: str, body: dict) -> dict:
    """A seed request body with a checksum of the right shape (the seeds' are placeholders)."""
    return {**body, "chksum": checksum(operation, body, KEY)}


def seed_traffic() -> list[dict]:
    """One exchange per seed example response, with the seed's request for that operation."""
    requests = {
        ("smartsmsbulk", "send_sms"): (
            "POST",
            f"{SMART}/api/v2/SendSMS",
            signed(
                "send_sms",
                {
                    "phoneNo": "66852262236",
                    "userId": 42,
                    "partnerId": 21,
                    "senderId": 25,
                    "message": "สวัสดี",
                    "callbackUrl": "https://partner.com/callback",
                },
            ),
        ),
        ("smartsmsbulk", "send_bulk"): (
            "POST",
            f"{SMART}/api/v2/SendBulkSMS",
            [
                signed(
                    "send_bulk",
                    {
                        "phoneNo": "66818593778",
                        "userId": 6,
                        "partnerId": 2,
                        "senderId": 40,
                        "message": "สวัสดีครับ วันนี้อากาศสดใส",
                        "callbackUrl": "https://partner.com/callback",
                    },
                )
            ],
        ),
        ("smartsmsbulk", "query_dr"): (
            "POST",
            f"{SMART}/api/delivery/QueryDR",
            signed(
                "query_dr",
                {"refId": "20241226173310654-5ab708ec-25bb-493a-adf4-fb0cfb9ac691", "userId": 42, "partnerId": 21},
            ),
        ),
        ("smartsmsbulk", "otp_send"): (
            "POST",
            f"{SMART}/api/OptSendSms/OptSendSms",
            signed(
                "otp_send", {"otpId": "20241226547ED26AAA", "phoneNo": "66852262236", "userId": 42, "partnerId": 21}
            ),
        ),
        ("smartsmsbulk", "otp_verify"): (
            "POST",
            f"{SMART}/api/OptSendSms/OptVerify",
            {"otpId": "20241226547ED26AAA", "phoneNo": "66852262236", "refCode": "rmOzMMLW", "otpCode": "2443"},
        ),
        ("smartsmsbulk", "check_balance"): (
            "POST",
            f"{SMART}/api/credit/CheckBalance",
            signed("check_balance", {"userId": 6, "partnerId": 2, "timestamp": 1763321555}),
        ),
        ("thaibulksms", "send_sms"): (
            "POST",
            "https://api-v2.thaibulksms.com/sms",
            {"msisdn": "0812345678,0919874563", "message": "hello", "sender": "Demo", "force": "corporate"},
        ),
        ("thaibulksms", "credit"): ("GET", "https://api-v2.thaibulksms.com/credit", None),
        ("thaibulksms", "otp_request"): (
            "POST",
            "https://otp.thaibulksms.com/v2/otp/request",
            {"key": "k", "secret": "s", "msisdn": "0812345678"},
        ),
        ("thaibulksms", "otp_verify"): (
            "POST",
            "https://otp.thaibulksms.com/v2/otp/verify",
            {"key": "k", "secret": "s", "token": "t", "pin": "093892"},
        ),
        ("voiceotp", "otp_send"): (
            "POST",
            "http://210.211.108.20:8080/onsmsapivoice/postSMS",
            {
                "phonesend": "0361234567",
                "sender": "DAUS01",
                "key": "XXXXXXX",
                "message": "123456",
                "pass": "YYYYYYY",
                "username": "ZZZZZZZZZZ",
            },
        ),
        ("voiceotp", "check_voice"): (
            "POST",
            "http://210.211.108.20:8080/onsmsapivoice/checkVoice",
            {
                "username": "zzzzzzz",
                "pass": "xxxxxxxx",
                "key": "XXXXXXX",
                "request_id": "1dc7b7eb-a9e7-4162-91cd-6027d95b290c",
            },
        ),
        ("voiceotp", "check_balance"): (
            "POST",
            "http://210.211.108.20:8080/onsmsapivoice/checkBalance",
            {"username": "zzzzzzz", "pass": "xxxxxxxx", "key": "XXXXXXX"},
        ),
        **{
            (vendor, operation): (method, url, body)
            for vendor, operation, method, url, body in REQUESTS
            if vendor == "fpt"
        },
    }
    status = {("thaibulksms", "send_sms", "error"): 400, ("thaibulksms", "otp_verify", "error"): 400}
    out = []
    for vendor, operation, kind, body in RESPONSES:
        method, url, request = requests[(vendor, operation)]
        text = isinstance(body, str)
        out.append(
            {
                "request": {
                    "method": method,
                    "url": url,
                    "headers": {"Content-Type": "application/json"} if request else {},
                    "body": copy.deepcopy(request),
                },
                "response": {
                    "status": status.get((vendor, operation, kind), 200),
                    "headers": {"Content-Type": "text/plain" if text else "application/json"},
                    "body": body,
                },
            }
        )
    return out


def write_jsonl(path: Path, exchanges: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in exchanges) + "\n", encoding="utf-8")
    return path


def to_har(exchanges: list[dict]) -> dict:
    def headers(h):
        return [{"name": k, "value": v} for k, v in h.items()]

    entries = []
    for e in exchanges:
        req, resp = e["request"], e["response"]
        body = resp["body"] if isinstance(resp["body"], str) else json.dumps(resp["body"], ensure_ascii=False)
        entry = {
            "request": {"method": req["method"], "url": req["url"], "headers": headers(req["headers"])},
            "response": {
                "status": resp["status"],
                "headers": headers(resp["headers"]),
                "content": {"mimeType": resp["headers"]["Content-Type"], "text": body},
            },
        }
        if req["body"] is not None:
            entry["request"]["postData"] = {
                "mimeType": "application/json",
                "text": json.dumps(req["body"], ensure_ascii=False),
            }
        entries.append(entry)
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}


def test_seed_traffic_does_not_drift(tmp_path, capsys):
    path = write_jsonl(tmp_path / "seed.jsonl", seed_traffic())
    assert main(["contract", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "No drift" in out
    assert "smartsmsbulk  query_dr" in out and f"{len(RESPONSES)} exchanges" in out


def test_seed_traffic_as_har_does_not_drift(tmp_path, capsys):
    path = tmp_path / "seed.har"
    path.write_text(json.dumps(to_har(seed_traffic()), ensure_ascii=False), encoding="utf-8")
    assert main(["contract", "check", str(path)]) == 0, capsys.readouterr().out


def test_doctored_traffic_drifts_and_the_report_names_it(tmp_path, capsys):
    traffic = copy.deepcopy(seed_traffic())
    # the real vendor started sending a new field, changed a type, answers an unknown error...
    traffic[0]["response"]["body"]["messageCount"] = 1  # SendSMS success
    traffic[11]["response"]["body"]["creditBalance"] = "555"  # CheckBalance success: a string now
    traffic[1]["response"]["body"]["detail"] = "Sender is blocked"  # SendSMS error: not in our table
    traffic[14]["response"]["body"]["error"]["name"] = "ERROR_RATE_LIMIT"  # ThaiBulkSMS error: unknown name
    traffic[4]["request"]["body"]["userId"] = "forty-two"  # QueryDR request: a type the document does not allow
    path = write_jsonl(tmp_path / "doctored.jsonl", traffic)
    assert main(["contract", "check", str(path)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()

    def row(*words: str) -> bool:
        return any(all(w in line for w in words) for line in lines)

    assert row("smartsmsbulk", "send_sms", "response", "messageCount", "no such field")
    assert row("smartsmsbulk", "check_balance", "response", "creditBalance", '"555" (string)')
    assert row("smartsmsbulk", "send_sms", "error code", '"Sender is blocked"')
    assert row("thaibulksms", "send_sms", "error code", '"ERROR_RATE_LIMIT"')
    assert row("smartsmsbulk", "query_dr", "request body", "userId", '"forty-two"')
    assert "5 difference(s)" in out

    assert main(["contract", "check", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert len(report["drift"]) == 5 and report["unmatched"] == 0


def test_status_drift_and_unmatched_and_unreadable(tmp_path, capsys):
    traffic = [
        *seed_traffic()[:1],
        {"request": {"method": "GET", "url": "https://example.com/"}, "response": {"status": 200}},
    ]
    err = dict(seed_traffic()[14])
    err["response"] = {**err["response"], "status": 500}  # ERROR_MESSAGE is a 400 in our table
    path = write_jsonl(tmp_path / "t.jsonl", [*traffic, err])
    assert main(["contract", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "1 ignored" in out and "status" in out and "400" in out and "500" in out
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert main(["contract", "check", str(bad)]) == 2
    nothing = write_jsonl(tmp_path / "n.jsonl", traffic[1:])
    assert main(["contract", "check", str(nothing)]) == 2
