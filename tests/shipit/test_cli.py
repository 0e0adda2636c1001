"""The ``mockserver`` command as a user runs it: real subprocesses, real ports, real signals."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from mockserver import cli
from mockserver.app import SERVICES, create_app
from mockserver.bundled import signers
from tests.smartsmsbulk.signing import checksum

from .conftest import child_env, mockserver_cmd

SEND = {"phoneNo": "66812345678", "userId": 42, "partnerId": 21, "senderId": 25, "message": "Hello"}


def send(base: str, body: dict | None = None) -> dict:
    body = dict(body or SEND)
    body.setdefault("chksum", checksum("send_sms", body, "demo-smartsmsbulk-key-42"))
    return requests.post(f"{base}/smartsmsbulk/api/v2/SendSMS", json=body, timeout=10).json()


def test_serve_banner_access_log_and_clean_ctrl_c(serve_process) -> None:
    served = serve_process(mockserver_cmd("serve", "--port", "0", "--seed", "3"))
    app = create_app(scenarios=[])
    for vendor in app[SERVICES].vendors.values():
        assert f"{served.url}{vendor.mounts()[0].prefix}" in served.banner
    assert f"{served.url}/_mock/" in served.banner
    assert send(served.url)["status"] == "OK"
    assert send(served.url, {**SEND, "chksum": "0" * 32})["detail"] == "Invalid checksum"
    requests.get(f"{served.url}/smartsmsbulk/nope", timeout=10)
    code, out, err = served.stop(signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err and "Traceback" not in out
    assert "sms-mockserver stopping" in out
    access = [line for line in err.splitlines() if "mockserver.access" in line]
    assert len(access) == 3, err  # one line per request, and /_mock/ is not a vendor request
    assert re.search(r"smartsmsbulk send_sms POST /smartsmsbulk/api/v2/SendSMS -> 200 ok \d+\.\dms$", access[0])
    assert re.search(
        r"smartsmsbulk send_sms POST /smartsmsbulk/api/v2/SendSMS -> 200 INVALID_CHECKSUM \d+\.\dms$", access[1]
    )
    assert re.search(r"smartsmsbulk - GET /smartsmsbulk/nope -> 404 NOT_FOUND \d+\.\dms$", access[2])


def test_sigterm_stops_cleanly_too(serve_process) -> None:
    served = serve_process(mockserver_cmd("serve", "--port", "0"))
    code, _, err = served.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in err


def test_json_log_lines_carry_the_fields(serve_process) -> None:
    served = serve_process(mockserver_cmd("serve", "--port", "0", "--log-format", "json"))
    send(served.url)
    _, _, err = served.stop()
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    (access,) = [line for line in lines if line["logger"] == "mockserver.access"]
    assert {k: access[k] for k in ("vendor", "operation", "method", "status", "outcome")} == {
        "vendor": "smartsmsbulk",
        "operation": "send_sms",
        "method": "POST",
        "status": 200,
        "outcome": "ok",
    }
    assert access["latency_ms"] >= 0 and access["path"] == "/smartsmsbulk/api/v2/SendSMS"


def test_quiet_has_no_access_log(serve_process) -> None:
    served = serve_process(mockserver_cmd("serve", "--port", "0"), env=child_env(MOCKSERVER_QUIET="true"))
    send(served.url)
    _, _, err = served.stop()
    assert "mockserver.access" not in err


def test_environment_variables_are_the_defaults(serve_process, tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text("rules:\n  - match: {recipient: '66811111111'}\n    respond: {error: INSUFFICIENT_CREDIT}\n")
    two = tmp_path / "two.yaml"
    two.write_text("rules:\n  - match: {recipient: '66822222222'}\n    respond: {status: 503, body: down}\n")
    env = child_env(
        MOCKSERVER_PORT="0",
        MOCKSERVER_SEED="5",
        MOCKSERVER_CLOCK="frozen",
        MOCKSERVER_JOURNAL_SIZE="2",
        MOCKSERVER_SCENARIO=os.pathsep.join([str(one), str(two)]),
    )
    served = serve_process(mockserver_cmd("serve"), env=env)
    health = requests.get(f"{served.url}/_mock/health", timeout=10).json()
    assert health["seed"] == 5
    assert requests.get(f"{served.url}/_mock/clock", timeout=10).json()["frozen"] is True
    assert send(served.url, {**SEND, "phoneNo": "66811111111"})["detail"] == "Insufficient credit balance"
    body = {**SEND, "phoneNo": "66822222222"}
    body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
    assert requests.post(f"{served.url}/smartsmsbulk/api/v2/SendSMS", json=body, timeout=10).text == "down"
    for _ in range(3):
        send(served.url)
    assert requests.get(f"{served.url}/_mock/messages", timeout=10).json()["count"] == 2
    # a command-line option wins over its variable
    served2 = serve_process(mockserver_cmd("serve", "--seed", "9", "--clock", "real", "--scenario", str(one)), env=env)
    assert requests.get(f"{served2.url}/_mock/health", timeout=10).json()["seed"] == 9
    assert requests.get(f"{served2.url}/_mock/clock", timeout=10).json()["frozen"] is False
    assert len(requests.get(f"{served2.url}/_mock/scenario", timeout=10).json()["rules"]) == 1


def test_scenario_directory_and_shipped_name(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("rules: []\n")
    (tmp_path / "a.yml").write_text("rules: []\n")
    (tmp_path / "notes.txt").write_text("not a scenario")
    assert cli.scenario_files([str(tmp_path)]) == [tmp_path / "a.yml", tmp_path / "b.yaml"]
    (shipped,) = cli.scenario_files(["default"])
    assert shipped.name == "default.yaml"
    assert cli.scenario_files(None) is None
    with pytest.raises(FileNotFoundError, match="nosuch"):
        cli.scenario_files(["nosuch"])


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MOCKSERVER_PORT": "http"}, "MOCKSERVER_PORT='http'"),
        ({"MOCKSERVER_CLOCK": "slow"}, "MOCKSERVER_CLOCK='slow': expected one of real, frozen"),
        ({"MOCKSERVER_QUIET": "maybe"}, "MOCKSERVER_QUIET='maybe'"),
        ({"MOCKSERVER_SEED": "x"}, "MOCKSERVER_SEED='x'"),
    ],
)
def test_bad_environment_is_a_usage_error(monkeypatch, capsys, env, message) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as info:
        cli.main(["serve"])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_start_up_failures_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            mockserver_cmd("serve", "--port", str(port)), env=child_env(), capture_output=True, text=True, timeout=30
        )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    for args, text in (
        (["--scenario", str(tmp_path / "missing.yaml")], "no scenario file"),
        (["--config", str(tmp_path / "missing.yaml")], "invalid config"),
    ):
        result = subprocess.run(
            mockserver_cmd("serve", "--port", "0", *args), env=child_env(), capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 2 and text in result.stderr and "Traceback" not in result.stderr


def test_validate_detects_the_kind_and_names_the_line(tmp_path: Path, capsys) -> None:
    good_config = tmp_path / "config.yaml"
    good_config.write_text("server:\n  journal_size: 10\n")
    good_scenario = tmp_path / "scenario.yaml"
    good_scenario.write_text("rules:\n  - respond: {status: 503}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: broken\n    respond: {status: 42}\n")
    assert cli.main(["validate", str(good_config), str(good_scenario)]) == 0
    out = capsys.readouterr().out
    assert f"{good_config}: valid config" in out and f"{good_scenario}: valid scenario" in out
    assert cli.main(["validate", str(good_scenario), str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: invalid scenario" in err and f"{bad}:3:" in err and "rule broken" in err


def test_vendors_lists_every_mounted_endpoint(capsys) -> None:
    app = create_app(scenarios=[])
    expected = [
        (v.name, op.name, op.method, m.prefix + op.path, list(m.hosts))
        for v in app[SERVICES].vendors.values()
        for m in v.mounts()
        for op in m.operations
    ]
    assert cli.main(["vendors", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["vendor"], r["operation"], r["method"], r["path"], r["real_hosts"]) for r in rows] == expected
    assert cli.main(["vendors"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["VENDOR", "OPERATION", "METHOD", "PATH", "ON", "THE", "MOCK", "REAL", "HOST"]
    for (vendor, op, method, path, hosts), line in zip(expected, lines[1:], strict=True):
        assert line.split()[:4] == [vendor, op, method, path] and line.endswith(", ".join(hosts))


def run_checksum(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["checksum", *args])
    captured = capsys.readouterr()
    return code, captured.out.strip(), captured.err


def test_checksum_is_accepted_by_the_server(capsys) -> None:
    from mockserver.embed import MockServer

    with MockServer() as mock:
        fields = [f"--{k}={v}" for k, v in SEND.items()]
        code, value, _ = run_checksum(capsys, "smartsmsbulk", "send_sms", *fields)
        assert code == 0 and re.fullmatch(r"[0-9a-f]{32}", value)
        answer = requests.post(
            mock.base_url("smartsmsbulk") + "/api/v2/SendSMS", json={**SEND, "chksum": value}, timeout=10
        ).json()
        assert answer["status"] == "OK", answer
        # check_balance, with the space-separated form and an explicit key
        now = str(int(mock.clock.now()))
        code, value, _ = run_checksum(
            capsys,
            "smartsmsbulk",
            "check_balance",
            "--userId",
            "6",
            "--partnerId",
            "2",
            "--timestamp",
            now,
            "--apiKey",
            "demo-smartsmsbulk-key-6",
        )
        body = {"userId": 6, "partnerId": 2, "timestamp": int(now), "chksum": value}
        answer = requests.post(mock.base_url("smartsmsbulk") + "/api/credit/CheckBalance", json=body, timeout=10).json()
        assert answer["status"] == "OK", answer
        code, wrong, _ = run_checksum(capsys, "smartsmsbulk", "send_sms", *fields, "--apiKey", "not-the-key")
        answer = requests.post(
            mock.base_url("smartsmsbulk") + "/api/v2/SendSMS", json={**SEND, "chksum": wrong}, timeout=10
        ).json()
        assert answer["detail"] == "Invalid checksum"


def test_checksum_matches_every_signer_and_explains(capsys) -> None:
    for vendor, signer in signers().items():
        for operation, fields in signer.fields.items():
            values = {name: f"v{i}" for i, name in enumerate(fields)}
            args = [f"--{k}={v}" for k, v in values.items()] + [f"--{signer.secret}=s3cret"]
            code, out, err = run_checksum(capsys, vendor, operation, *args, "--explain")
            assert code == 0, err
            assert out == signer.compute(operation, values, "s3cret")
            assert signer.signed_text(operation, values, "s3cret") in err


def test_checksum_usage_errors(capsys, tmp_path: Path) -> None:
    code, _, err = run_checksum(capsys, "nosuch", "send_sms")
    assert code == 2 and "smartsmsbulk" in err
    code, _, err = run_checksum(capsys, "smartsmsbulk", "nosuch")
    assert code == 2 and "send_sms" in err
    code, _, err = run_checksum(capsys, "smartsmsbulk", "send_sms", "--userId", "42", "--colour", "red")
    assert code == 2 and "does not sign colour" in err and "--phoneNo VALUE" in err
    code, _, err = run_checksum(capsys, "smartsmsbulk", "send_sms", "--userId")
    assert code == 2 and "--userId needs a value" in err
    code, _, err = run_checksum(capsys, "smartsmsbulk", "send_sms", "--userId", "777")
    assert code == 2 and "pass --apiKey" in err
    code, out, err = run_checksum(capsys, "smartsmsbulk", "send_sms", "--userId", "42", "--partnerId", "21")
    assert (
        code == 0
        and "--message not given" in err
        and out == checksum("send_sms", {"userId": 42, "partnerId": 21}, "demo-smartsmsbulk-key-42")
    )
    config = tmp_path / "c.yaml"
    config.write_text(
        "vendors:\n  smartsmsbulk:\n    accounts:\n"
        "      - {userId: 7, partnerId: 8, apiKey: mine, senderIds: [1], creditBalance: 1}\n"
    )
    code, out, _ = run_checksum(
        capsys, "smartsmsbulk", "query_dr", "--config", str(config), "--userId", "7", "--partnerId", "8", "--refId", "x"
    )
    assert code == 0 and out == checksum("query_dr", {"userId": 7, "partnerId": 8, "refId": "x"}, "mine")


def test_health_command(serve_process) -> None:
    served = serve_process(mockserver_cmd("serve", "--port", "0"))
    ok = subprocess.run(
        mockserver_cmd("health"),
        env=child_env(MOCKSERVER_PORT=str(served.port)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ok.returncode == 0 and "healthy" in ok.stdout
    ok = subprocess.run(
        mockserver_cmd("health", "--url", served.url), env=child_env(), capture_output=True, text=True, timeout=30
    )
    assert ok.returncode == 0
    served.stop()
    time.sleep(0.1)
    down = subprocess.run(
        mockserver_cmd("health", "--url", served.url, "--timeout", "1"),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert down.returncode == 1 and "unhealthy" in down.stderr


def test_banner_says_what_is_in_effect(serve_process, tmp_path: Path) -> None:
    from mockserver import __version__

    config = tmp_path / "mine.yaml"
    config.write_text("delivery:\n  final_after: 0.5\n")
    served = serve_process(
        mockserver_cmd("serve", "--port", "0", "--config", str(config), "--scenario", "outage", "--seed", "9")
    )
    facts = dict(line.split(None, 1) for line in served.banner.splitlines()[1:6])
    assert facts["version"] == __version__
    assert facts["config"] == str(config)
    assert facts["scenarios"].endswith("outage.yaml")
    assert facts["seed"] == "9" and facts["clock"] == "real"
    served.stop()
    served = serve_process(mockserver_cmd("serve", "--port", "0", "--clock", "frozen"))
    facts = dict(line.split(None, 1) for line in served.banner.splitlines()[1:6])
    seed = requests.get(f"{served.local_url}/_mock/health", timeout=10).json()["seed"]
    assert facts["seed"] == f"{seed} (random; --seed {seed} repeats this run)"
    assert facts["clock"] == "frozen" and facts["config"] == "bundled demo accounts"
    assert facts["scenarios"].endswith("default.yaml (default)")


def test_strict_access_log_marks_a_request_that_broke_its_contract(serve_process) -> None:
    from tests.contracts.test_responses import smart

    served = serve_process(mockserver_cmd("serve", "--port", "0", "--strict"))
    now = int(requests.get(f"{served.local_url}/_mock/clock", timeout=10).json()["now"])
    balance = f"{served.local_url}/smartsmsbulk/api/credit/CheckBalance"
    for timestamp in (str(now), now):  # a string the vendor tolerates (a violation), then clean
        body = smart("check_balance", {"timestamp": timestamp})
        assert requests.post(balance, json=body, timeout=10).json()["status"] == "OK"
    _, _, err = served.stop()
    access = [line for line in err.splitlines() if "mockserver.access" in line]
    assert re.search(r"check_balance POST \S+ -> 200 ok\+contract_violation \d+\.\dms$", access[0]), access
    assert re.search(r"check_balance POST \S+ -> 200 ok \d+\.\dms$", access[1]), access
