"""`mockserver serve` on a real port: the banner, the vendors, a clean stop."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start(*args: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"listening on (http://\S+)", first)
    assert match, first + proc.stderr.read() if proc.poll() is not None else first
    return proc, match.group(1)


def test_serve_prints_every_vendor_and_the_inspection_api_then_stops_cleanly():
    proc, base = start("--seed", "7", "--quiet")
    try:
        banner = []
        while not banner or "/_mock/" not in banner[-1]:
            banner.append(proc.stdout.readline())
        assert any(f"{base}/smartsmsbulk" in line for line in banner)
        with urllib.request.urlopen(f"{base}/_mock/health", timeout=5) as resp:
            health = json.load(resp)
        assert health["status"] == "ok" and health["seed"] == 7 and "smartsmsbulk" in health["vendors"]
        lines = "".join(banner)
        assert "services.smartsmsbulk.com" in lines
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert "stopping" in out


def test_python_dash_m_and_vendors_listing():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "mockserver", "vendors"], capture_output=True, text=True, env=env, timeout=30
    )
    assert out.returncode == 0
    row = next(line for line in out.stdout.splitlines() if "/smartsmsbulk/api/v2/SendSMS" in line)
    assert row.split()[:3] == ["smartsmsbulk", "send_sms", "POST"] and "services.smartsmsbulk.com" in row


def test_sigterm_stops_the_server():
    proc, _ = start("--quiet")
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "Traceback" not in err
