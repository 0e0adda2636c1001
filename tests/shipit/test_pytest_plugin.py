"""The ``sms_mock`` fixture, as a user's project sees it: a separate pytest run in a temporary
project, with the plugin loaded by ``-p`` (what the ``pytest11`` entry point does once installed)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

from .conftest import ROOT, child_env, mockserver_cmd

HELPERS = """
import pytest, requests
from mockserver.vendors.smartsmsbulk.checksums import checksum


def send(sms_mock, phone, text="Hello", **extra):
    body = {"phoneNo": phone, "userId": 42, "partnerId": 21, "senderId": 25, "message": text, **extra}
    body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
    url = sms_mock.base_url("smartsmsbulk") + "/api/v2/SendSMS"
    return requests.post(url, json=body, timeout=10).json()
"""


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "mockserver.pytest_plugin", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_passed(project: Path, count: int) -> None:
    result = run_pytest(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{count} passed" in result.stdout


def write(project: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (project / name).write_text(textwrap.dedent(text), encoding="utf-8")


def test_sms_mock_fixture_sync_and_async(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "helpers.py": HELPERS,
            "test_user.py": """
            import threading
            import aiohttp
            import pytest
            from helpers import checksum, send

            SEEN = {}

            def test_one_message(sms_mock):
                SEEN["url"] = sms_mock.url
                assert send(sms_mock, "0812345678")["status"] == "OK"
                (message,) = sms_mock.messages(vendor="smartsmsbulk", phone="66812345678")
                assert message["text"] == "Hello"

            def test_same_server_fresh_state(sms_mock):
                assert sms_mock.url == SEEN["url"]
                assert sms_mock.messages() == [] and sms_mock.requests() == []

            def test_scenario_for_this_test_only(sms_mock):
                rule = "- match: {recipient: '66812345678'}\\n  respond: {error: INSUFFICIENT_CREDIT}\\n"
                with sms_mock.scenario(rule):
                    assert send(sms_mock, "66812345678")["detail"] == "Insufficient credit balance"
                    assert send(sms_mock, "66812345679")["status"] == "OK"
                # left applied on purpose: the next test must not see it
                sms_mock.scenario({"respond": {"status": 503}}).__enter__()

            def test_no_scenario_left_over(sms_mock):
                assert send(sms_mock, "66812345678")["status"] == "OK"

            def test_wait_for_and_clock(sms_mock):
                threading.Timer(0.1, send, args=(sms_mock, "66812345678", "later")).start()
                assert sms_mock.wait_for(phone="66812345678", timeout=5)["text"] == "later"
                sms_mock.clock.advance("1h")
                assert sms_mock.messages()[0]["status"] == "delivered"

            def test_otp(sms_mock):
                body = {"otpId": "20241226547ED26AAA", "userId": 42, "partnerId": 21, "phoneNo": "66812345678"}
                body["chksum"] = checksum("otp_send", body, "demo-smartsmsbulk-key-42")
                import requests
                requests.post(sms_mock.base_url("smartsmsbulk") + "/api/OptSendSms/OptSendSms", json=body, timeout=10)
                assert sms_mock.otp("smartsmsbulk", "66812345678")["code"].isdigit()

            @pytest.mark.asyncio
            async def test_async_client(sms_mock):
                body = {"phoneNo": "66812345678", "userId": 42, "partnerId": 21, "senderId": 25, "message": "async"}
                body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
                async with aiohttp.ClientSession() as session:
                    async with session.post(sms_mock.base_url("smartsmsbulk") + "/api/v2/SendSMS", json=body) as resp:
                        assert (await resp.json())["status"] == "OK"
                message = await sms_mock.wait_for(vendor="smartsmsbulk", phone="66812345678")
                assert message["text"] == "async"
                assert sms_mock.url == SEEN["url"]
            """,
        },
    )
    assert_passed(tmp_path, 7)


def test_ini_options_config_scenario_and_seed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pytest.ini": """
            [pytest]
            sms_mock_config = mock/config.yaml
            sms_mock_scenario = mock/flaky.yaml
            sms_mock_seed = 99
            """,
            "helpers.py": HELPERS,
            "test_ini.py": """
            import requests
            from helpers import checksum

            IDS = []

            def send(sms_mock, phone):
                body = {"phoneNo": phone, "userId": 1, "partnerId": 2, "senderId": 3, "message": "hi"}
                body["chksum"] = checksum("send_sms", body, "my-key")
                url = sms_mock.base_url("smartsmsbulk") + "/api/v2/SendSMS"
                return requests.post(url, json=body, timeout=10).json()

            def test_my_account_and_my_scenario(sms_mock):
                assert send(sms_mock, "66899999999")["detail"] == "Insufficient credit balance"
                IDS.append(send(sms_mock, "66812345678")["refId"])

            def test_same_seed_same_ids(sms_mock):
                send(sms_mock, "66899999999")
                IDS.append(send(sms_mock, "66812345678")["refId"])
                assert IDS[0].split("-", 1)[1] == IDS[1].split("-", 1)[1]
            """,
        },
    )
    (tmp_path / "mock").mkdir()
    write(
        tmp_path / "mock",
        {
            "config.yaml": """
            vendors:
              smartsmsbulk:
                accounts:
                  - {userId: 1, partnerId: 2, apiKey: my-key, senderIds: [3], creditBalance: 10}
            """,
            "flaky.yaml": """
            rules:
              - match: {recipient: "66899999999"}
                respond: {error: INSUFFICIENT_CREDIT}
            """,
        },
    )
    assert_passed(tmp_path, 2)


def test_fixture_override_in_conftest(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "conftest.py": """
            import pytest

            @pytest.fixture(scope="session")
            def sms_mock_config():
                return {"delivery": {"sent_after": 0.01, "final_after": 0.02}}
            """,
            "test_fast.py": HELPERS
            + """

def test_delivered_quickly(sms_mock):
    send(sms_mock, "66812345678")
    import time
    deadline = time.monotonic() + 5
    while sms_mock.messages()[0]["status"] != "delivered":
        assert time.monotonic() < deadline
        time.sleep(0.01)
""",
        },
    )
    assert_passed(tmp_path, 1)


def test_a_failing_user_test_fails() -> None:
    """The fixture must not swallow assertion errors (a plugin that always passes is useless)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        write(project, {"test_bad.py": "def test_bad(sms_mock):\n    assert sms_mock.messages(), 'no message'\n"})
        result = run_pytest(project)
    assert result.returncode == 1 and "no message" in result.stdout


def test_entry_point_is_declared_under_the_module_name() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["entry-points"]["pytest11"] == {"mockserver.pytest_plugin": "mockserver.pytest_plugin"}


NAMESPACED = """
import pytest
from helpers import send

@pytest.mark.parametrize("n", range(6))
def test_each_test_its_own_namespace(sms_mock, n):
    assert "/ns/" in sms_mock.base_url("smartsmsbulk")
    assert sms_mock.messages() == []  # nothing from the other tests, wherever they run
    for i in range(3):
        assert send(sms_mock, f"081234560{i}", f"test {n}")["status"] == "OK"
    assert {m["text"] for m in sms_mock.messages()} == {f"test {n}"}
    assert sms_mock.wait_for(phone="66812345602")["text"] == f"test {n}"
"""


def test_isolation_namespace_gives_each_test_its_own_namespace(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"helpers.py": HELPERS, "test_ns.py": NAMESPACED, "pytest.ini": "[pytest]\nsms_mock_isolation = namespace\n"},
    )
    assert_passed(tmp_path, 6)


def test_xdist_workers_share_one_server_each_test_in_its_own_namespace(tmp_path: Path, serve_process) -> None:
    """Two pytest-xdist workers and one running server (MOCKSERVER_URL, as a CI service)."""
    write(tmp_path, {"helpers.py": HELPERS, "test_ns.py": NAMESPACED})
    server = serve_process(mockserver_cmd("serve", "--port", "0", "--scenario", "default"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "mockserver.pytest_plugin", "-p", "no:cacheprovider", "-q", "-n", "2"],
        cwd=tmp_path,
        env=child_env(MOCKSERVER_URL=server.url),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    import json
    import urllib.request

    with urllib.request.urlopen(server.url + "/_mock/namespaces") as answer:
        listing = json.load(answer)
    assert [ns["name"] for ns in listing["namespaces"]] == ["default"]  # each test dropped its own
    with urllib.request.urlopen(server.url + "/_mock/requests") as answer:
        assert json.load(answer)["count"] == 0  # and the default namespace saw nothing
