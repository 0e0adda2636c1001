"""``MockServer`` used as a library: ``with`` (a background thread) and ``async with`` (the running
loop). Every test talks real HTTP to a real port: ``requests`` for sync code, aiohttp for async."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import aiohttp
import pytest
import requests

from mockserver.core.config import ConfigError
from mockserver.embed import MockServer
from mockserver.engine.scenarios import ScenarioError
from tests.smartsmsbulk.signing import checksum

FAST = {
    "delivery": {"sent_after": 0.01, "final_after": 0.02},
    "callbacks": {"backoff_initial": 0.02, "max_attempts": 3},
}
SLOW = {"delivery": {"sent_after": 1800, "final_after": 3600}}


def send_sample(mock: MockServer, vendor: str, recipient: str, text: str = "Hello") -> requests.Response:
    """A valid send to ``vendor`` (its own sample request), over real HTTP with requests."""
    sample = mock._call(lambda s: s.vendors[vendor].sample_send(recipient, text))
    return requests.request(
        sample.method, mock.url + sample.path, headers=dict(sample.headers), data=sample.body, timeout=10
    )


def recipient_of(mock: MockServer, vendor: str, n: int) -> str:
    return mock._call(lambda s: s.vendors[vendor].sample_recipient(n))


def smartsmsbulk_send(mock: MockServer, phone: str, text: str = "Hello", **extra: object) -> dict:
    body = {"phoneNo": phone, "userId": 42, "partnerId": 21, "senderId": 25, "message": text, **extra}
    body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
    return requests.post(mock.base_url("smartsmsbulk") + "/api/v2/SendSMS", json=body, timeout=10).json()


def test_sync_server_journals_a_message_of_every_vendor() -> None:
    with MockServer(seed=7) as mock:
        assert mock.url.startswith("http://127.0.0.1:") and mock.port > 0
        assert mock.vendors, "no vendor mounted"
        for vendor in mock.vendors:
            phone = recipient_of(mock, vendor, 501)
            response = send_sample(mock, vendor, phone, f"hi {vendor}")
            assert response.status_code < 400, response.text
            found = mock.messages(vendor=vendor, phone=phone)
            assert len(found) == 1
            if vendor != "voiceotp":  # a voice call journals the digits it reads out, not the sample text
                assert found[0]["text"] == f"hi {vendor}"
            assert mock.base_url(vendor).startswith(mock.url + "/")
        assert len(mock.messages()) == len(mock.vendors)
        assert mock.requests()[0]["outcome"] == "ok"
    # stopped: the port is free again and the object says so
    with socket.socket() as sock:  # nothing listens there any more
        assert sock.connect_ex(("127.0.0.1", mock.port)) != 0
    assert len(mock.messages()) == len(mock.vendors)  # what it recorded stays readable
    with pytest.raises(RuntimeError, match="not running"):
        MockServer().messages()


def test_base_url_of_an_unknown_vendor_names_the_mounted_ones() -> None:
    with MockServer() as mock, pytest.raises(KeyError, match="smartsmsbulk"):
        mock.base_url("nosuchvendor")


def test_wait_for_blocks_until_another_thread_sends() -> None:
    with MockServer() as mock:
        timer = threading.Timer(0.2, smartsmsbulk_send, args=(mock, "66812345678", "late"))
        timer.start()
        message = mock.wait_for(vendor="smartsmsbulk", phone="0812345678", timeout=5)
        timer.join()
        assert message["text"] == "late" and message["recipient"] == "66812345678"


def test_wait_for_times_out_naming_what_arrived() -> None:
    with MockServer() as mock:
        smartsmsbulk_send(mock, "66811111111", "other")
        with pytest.raises(TimeoutError, match="66811111111") as info:
            mock.wait_for(phone="66899999999", timeout=0.2)
        assert "66899999999" in str(info.value)


def test_otp_flow_finishes_with_the_code_from_the_mock() -> None:
    with MockServer() as mock:
        base = mock.base_url("smartsmsbulk")
        body = {
            "otpId": "20241226547ED26AAA",
            "userId": 42,
            "partnerId": 21,
            "phoneNo": "66812345678",
            "otpCode": "",
            "refCode": "",
        }
        body["chksum"] = checksum("otp_send", body, "demo-smartsmsbulk-key-42")
        sent = requests.post(base + "/api/OptSendSms/OptSendSms", json=body, timeout=10).json()
        assert sent["status"] == "OK", sent
        otp = mock.otp("smartsmsbulk", "0812345678")
        assert otp is not None and otp["ref"] == sent["refCode"] and otp["code"].isdigit()
        verify = {
            "otpId": "20241226547ED26AAA",
            "phoneNo": "66812345678",
            "refCode": otp["ref"],
            "otpCode": otp["code"],
        }
        assert requests.post(base + "/api/OptSendSms/OptVerify", json=verify, timeout=10).json()["status"] == "OK"
        assert mock.otp("smartsmsbulk", "66899999999") is None


def test_scenario_applies_for_the_with_block_only_in_every_form(tmp_path: Path) -> None:
    as_file = tmp_path / "down.yaml"
    as_file.write_text("rules:\n  - name: down\n    respond: {status: 503, body: from a file}\n", encoding="utf-8")
    forms = [
        {"name": "down", "respond": {"status": 503, "body": "from a dict"}},
        [{"name": "down", "respond": {"status": 503, "body": "from a list"}}],
        "- name: down\n  respond: {status: 503, body: from yaml text}\n",
        as_file,
        str(as_file),
    ]
    with MockServer() as mock:
        vendor = mock.vendors[0]
        phone = recipient_of(mock, vendor, 502)
        for form in forms:
            with mock.scenario(form) as applied:
                response = send_sample(mock, vendor, phone)
                assert response.status_code == 503
                assert response.text.startswith("from ")
                assert applied.hits == 1
            assert send_sample(mock, vendor, phone).status_code < 400
        assert mock._call(lambda s: [r.source for r in s.scenarios.rules]).count("sms_mock.scenario") == 0


def test_scenario_with_a_vendor_error_by_name() -> None:
    with MockServer() as mock:
        with mock.scenario(
            {
                "match": {"vendor": "smartsmsbulk", "recipient": "66812345678"},
                "respond": {"error": "INSUFFICIENT_CREDIT"},
            }
        ):
            assert smartsmsbulk_send(mock, "66812345678") == {
                "status": "ERR",
                "detail": "Insufficient credit balance",
                "refId": None,
            }
            assert smartsmsbulk_send(mock, "66812345679")["status"] == "OK"
        assert mock.requests()[1]["outcome"] == "INSUFFICIENT_CREDIT"


def test_a_tests_rules_take_precedence_over_the_startup_scenario() -> None:
    startup = {"name": "always delivered late", "respond": {"status": 500, "body": "startup"}}
    with MockServer(scenario=startup) as mock:
        vendor = mock.vendors[0]
        phone = recipient_of(mock, vendor, 503)
        assert send_sample(mock, vendor, phone).text == "startup"
        with mock.scenario({"respond": {"status": 502, "body": "test"}}):
            assert send_sample(mock, vendor, phone).text == "test"
        assert send_sample(mock, vendor, phone).text == "startup"
        mock.reset()  # the start-up scenario survives a reset
        assert send_sample(mock, vendor, phone).text == "startup"


def test_invalid_scenario_is_refused_with_line_and_field() -> None:
    with MockServer() as mock:
        with pytest.raises(ScenarioError) as info, mock.scenario("- name: bad\n  respond: {status: 42}\n"):
            pass
        assert "<scenario>:2:" in str(info.value) and "status" in str(info.value)
        with pytest.raises(ScenarioError, match="<scenario>:2:1"), mock.scenario("rules: [\n"):
            pass


def test_startup_scenario_from_yaml_text_and_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("rules:\n  - respond: {status: 418, body: teapot}\n", encoding="utf-8")
    for scenario in ("rules:\n  - respond: {status: 418, body: teapot}\n", path, [path]):
        with MockServer(scenario=scenario) as mock:
            vendor = mock.vendors[0]
            assert send_sample(mock, vendor, recipient_of(mock, vendor, 504)).status_code == 418


def test_clock_advance_delivers_and_fires_the_callback(sync_receiver) -> None:
    with MockServer(config=SLOW, seed=3) as mock:
        sent = smartsmsbulk_send(mock, "66812345678", callbackUrl=sync_receiver.url)
        assert mock.messages()[0]["status"] == "accepted"
        before = mock.clock.now()
        after = mock.clock.advance("2h")
        assert after - before >= 7200
        message = mock.messages()[0]
        assert message["status"] == "delivered"
        (report,) = sync_receiver.wait_for(1)[0]
        assert report["refId"] == sent["refId"] and report["status"] == "OK"
        callbacks = mock.callbacks(vendor="smartsmsbulk", message=sent["refId"])
        assert len(callbacks) == 1
        assert mock.callbacks(vendor="nosuch") == []


def test_deliver_now_and_message_detail(sync_receiver) -> None:
    with MockServer(config=SLOW) as mock:
        sent = smartsmsbulk_send(mock, "66812345678", callbackUrl=sync_receiver.url)
        assert mock.deliver(sent["refId"], "failed")["status"] == "failed"
        assert sync_receiver.wait_for(1)[0][0]["status"] == "ERR"
        detail = mock.message(sent["refId"])
        assert detail is not None and '"phoneNo": "66812345678"' in detail["request"]["body"]
        assert mock.message("nope") is None


def test_reset_gives_a_fresh_state_and_the_same_ids_with_a_seed() -> None:
    with MockServer(seed=11) as mock:
        first = smartsmsbulk_send(mock, "66812345678")["refId"]
        mock.reset()
        assert mock.messages() == []
        assert smartsmsbulk_send(mock, "66812345678")["refId"].split("-", 1)[1] == first.split("-", 1)[1]


def test_config_as_dict_replaces_the_vendor_accounts() -> None:
    config = {
        "vendors": {
            "smartsmsbulk": {
                "accounts": [{"userId": 7, "partnerId": 8, "apiKey": "k", "senderIds": [1], "creditBalance": 5}]
            }
        }
    }
    with MockServer(config=config) as mock:
        assert smartsmsbulk_send(mock, "66812345678")["detail"] == "Invalid parameter userId"


def test_bad_config_and_busy_port_fail_in_the_callers_thread() -> None:
    with pytest.raises(ConfigError, match="journal_size"):
        MockServer(config={"server": {"journal_size": "many"}}).start()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = MockServer(port=busy.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
        assert server._thread is None and server._loop is None
    before = threading.active_count()
    with MockServer():
        assert threading.active_count() == before + 1
    assert threading.active_count() == before


async def test_async_with_runs_on_the_running_loop() -> None:
    async with MockServer(config=FAST, seed=5) as mock:
        assert mock._thread is None
        async with aiohttp.ClientSession() as session:
            body = {"phoneNo": "66812345678", "userId": 42, "partnerId": 21, "senderId": 25, "message": "async"}
            body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
            waiter = mock.wait_for(vendor="smartsmsbulk", phone="66812345678", timeout=5)
            async with session.post(mock.base_url("smartsmsbulk") + "/api/v2/SendSMS", json=body) as resp:
                assert (await resp.json())["status"] == "OK"
            message = await waiter
            assert message["text"] == "async"
            with mock.scenario({"respond": {"status": 503, "body": "x"}}):
                async with session.post(mock.base_url("smartsmsbulk") + "/api/v2/SendSMS", json=body) as resp:
                    assert resp.status == 503
        mock.clock.advance("1s")
        assert mock.messages()[0]["status"] == "delivered"


async def test_async_wait_for_times_out() -> None:
    async with MockServer() as mock:
        with pytest.raises(TimeoutError):
            await mock.wait_for(phone="66812345678", timeout=0.05)


async def test_thread_server_used_from_an_async_test() -> None:
    """What the pytest fixture does: a thread server, helpers called from another loop."""
    mock = MockServer().start()
    try:
        async with aiohttp.ClientSession() as session:
            body = {"phoneNo": "66812345678", "userId": 42, "partnerId": 21, "senderId": 25, "message": "cross"}
            body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
            async with session.post(mock.base_url("smartsmsbulk") + "/api/v2/SendSMS", json=body) as resp:
                assert (await resp.json())["status"] == "OK"
        assert (await mock.wait_for(phone="66812345678"))["text"] == "cross"
    finally:
        await mock.astop()
    assert mock._loop is None
