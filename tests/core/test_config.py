"""Config: bundled defaults, merging a user file, and errors that name file, line and field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.bundled import load_config
from mockserver.core.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def test_bundled_defaults_hold_the_demo_accounts():
    config = load_config()
    accounts = config.vendor("smartsmsbulk")["accounts"]
    assert {(a["userId"], a["partnerId"], a["apiKey"]) for a in accounts} == {
        (42, 21, "demo-smartsmsbulk-key-42"),
        (6, 2, "demo-smartsmsbulk-key-6"),
    }
    assert config.journal_size == 100_000


def test_user_file_replaces_only_the_sections_it_names(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "server: {journal_size: 10}\n"
        "vendors:\n  smartsmsbulk:\n    accounts:\n"
        "      - {userId: 1, partnerId: 2, apiKey: k, senderIds: [3], creditBalance: 4}\n"
    )
    config = load_config(path)
    assert config.journal_size == 10
    assert config.section("server")["max_body_bytes"] == 1048576  # kept from the defaults
    assert [a["userId"] for a in config.vendor("smartsmsbulk")["accounts"]] == [1]


def test_invalid_file_names_line_column_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "vendors:\n  smartsmsbulk:\n    accounts:\n"
        "      - userId: forty-two\n        partnerId: 21\n        apiKey: k\n"
        "        senderIds: [25]\n        creditBalance: 1\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}:4:")
    assert "vendors.smartsmsbulk.accounts[0].userId" in problem
    assert "'forty-two' is not of type 'integer'" in problem


def test_unknown_vendor_and_unknown_setting(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("server: {jurnal_size: 1}\nvendors:\n  smartsmsbulkk: {}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = "\n".join(info.value.problems)
    assert "jurnal_size" in text and "smartsmsbulkk: unknown vendor" in text


def test_misspelled_keys_point_at_their_own_line_with_the_close_name(tmp_path):
    """A misspelled key is reported where it is written (not at 1:1, nor at its value), with
    the setting or vendor it was probably meant to be."""
    path = tmp_path / "typo.yaml"
    path.write_text(
        "server:\n  journal_size: 10\n"
        "calbacks:\n  max_attempts: 3\n"
        "vendors:\n  smartsmsbulk:\n    accounts:\n"
        "      - {userId: 1, partnerId: 2, apiKey: k, senderIds: [3], creditBalance: 4, calback_url: 'http://x'}\n"
        "  smartsmbulk: {}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    problems = info.value.problems
    assert problems[0].startswith(f"{path}:3:1: calbacks: unknown key 'calbacks' (did you mean 'callbacks'?)")
    assert any(
        p.startswith(f"{path}:8:80: vendors.smartsmsbulk.accounts[0].calback_url: unknown key 'calback_url'")
        and "(did you mean 'callback_url'?)" in p
        for p in problems
    ), problems
    vendor = f"{path}:9:3: vendors.smartsmbulk: unknown vendor (did you mean 'smartsmsbulk'?)"
    assert any(p.startswith(vendor) for p in problems), problems


def test_cli_stops_with_exit_2_on_an_invalid_config(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("callbacks:\n  max_attempts: zero\n")
    result = run_cli("serve", "--config", str(path), "--port", "0")
    assert result.returncode == 2
    assert f"{path}:2:17" in result.stderr and "callbacks.max_attempts" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_reports_yaml_syntax_errors(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("server:\n  journal_size: [1,\n")
    result = run_cli("validate", str(path))
    assert result.returncode == 2 and f"{path}:3:" in result.stderr


def test_validate_accepts_the_bundled_files():
    result = run_cli(
        "validate", str(ROOT / "mockserver" / "default_config.yaml"), str(ROOT / "scenarios" / "default.yaml")
    )
    assert result.returncode == 0, result.stderr
