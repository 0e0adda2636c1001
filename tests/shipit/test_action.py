"""The GitHub Action (``action.yml``): its script run locally with a real server, as the
action's steps run it on a runner (the pip install is skipped: this checkout is on PYTHONPATH)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from tests.contracts.test_responses import smart

from .conftest import ROOT, child_env, free_port

SCRIPT = ROOT / ".github" / "actions" / "mockserver.sh"


def run(step: str, tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess:
    env = child_env(
        MOCKSERVER_SKIP_INSTALL="1",
        MOCKSERVER_PYTHON=sys.executable,
        MOCKSERVER_STATE=str(tmp_path / "state"),
        MOCKSERVER_ARTIFACTS=str(tmp_path / "journal"),
        GITHUB_ENV=str(tmp_path / "github_env"),
        GITHUB_OUTPUT=str(tmp_path / "github_output"),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    )
    return subprocess.run(["bash", str(SCRIPT), step], env=env, capture_output=True, text=True, timeout=90)


def started(tmp_path: Path, **inputs: str) -> str:
    result = run("start", tmp_path, **inputs)
    assert result.returncode == 0, result.stdout + result.stderr
    (line,) = (tmp_path / "github_env").read_text().splitlines()
    name, _, url = line.partition("=")
    assert name == "MOCKSERVER_URL" and f"url={url}" in (tmp_path / "github_output").read_text()
    return url


def test_start_exports_the_url_and_finish_fails_on_a_contract_violation(tmp_path: Path) -> None:
    port = free_port()
    url = started(tmp_path, port=str(port), seed="42", strict="true", scenarios="default")
    assert url == f"http://127.0.0.1:{port}"
    health = requests.get(f"{url}/_mock/health", timeout=10).json()
    assert health["status"] == "ok" and health["seed"] == 42
    now = int(requests.get(f"{url}/_mock/clock", timeout=10).json()["now"])
    balance = f"{url}/smartsmsbulk/api/credit/CheckBalance"
    assert requests.post(balance, json=smart("check_balance", {"timestamp": str(now)}), timeout=10).ok
    send = smart("send_sms", {"phoneNo": "66812345678", "senderId": 25, "message": "from CI"})
    assert requests.post(f"{url}/smartsmsbulk/api/v2/SendSMS", json=send, timeout=10).json()["status"] == "OK"

    result = run("finish", tmp_path)
    assert result.returncode == 1
    assert "1 contract violation(s) recorded" in result.stderr
    assert re.search(r"::error::contract violation: smartsmsbulk check_balance body\.timestamp", result.stderr)
    journal = tmp_path / "journal"
    messages = json.loads((journal / "messages.json").read_text())["messages"]
    assert [m["text"] for m in messages] == ["from CI"]
    assert json.loads((journal / "violations.json").read_text())["total"] == 1
    assert len(json.loads((journal / "requests.json").read_text())["requests"]) == 2
    assert "listening on" in (journal / "server.log").read_text()
    with pytest.raises(requests.ConnectionError):  # finish stopped the server
        requests.get(f"{url}/_mock/health", timeout=2)


def test_a_clean_run_passes(tmp_path: Path) -> None:
    url = started(tmp_path, port=str(free_port()), strict="true")
    send = smart("send_sms", {"phoneNo": "66812345678", "senderId": 25, "message": "clean"})
    assert requests.post(f"{url}/smartsmsbulk/api/v2/SendSMS", json=send, timeout=10).json()["status"] == "OK"
    result = run("finish", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "journal saved to" in result.stdout


def test_bad_inputs_fail_the_step_with_one_error(tmp_path: Path) -> None:
    result = run("start", tmp_path, port=str(free_port()), strict="maybe")
    assert result.returncode == 1 and "::error::sms-mockserver: strict must be true or false" in result.stderr
    result = run("start", tmp_path, port=str(free_port()), scenarios="no-such-scenario")
    assert result.returncode == 1 and "exited before it was healthy" in result.stderr
    assert "no scenario file, directory or shipped scenario named 'no-such-scenario'" in result.stderr


def test_action_yml_passes_every_input_to_the_script() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    (start,) = [s for s in action["runs"]["steps"] if s.get("id") == "start"]
    script = SCRIPT.read_text()
    for name in ("port", "config", "scenarios", "seed", "strict"):
        assert name in action["inputs"]
        assert start["env"][f"INPUT_{name.upper()}"] == f"${{{{ inputs.{name} }}}}"
        assert f"INPUT_{name.upper()}" in script
    assert 'mockserver.sh" start' in start["run"]
    steps = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("actions/upload-artifact@") for u in steps)
