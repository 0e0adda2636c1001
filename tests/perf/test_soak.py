"""The soak (``benchmarks/soak.py``) in small: about 15 s of load, 1 s per workload, on a tiny journal, so
that the journal is at its cap almost at once and stays there.

What a loaded machine cannot change is asserted as ratios, not per-second counts: the share of requests
that succeeded, every journal table at or under the cap at every sample, and each table's size relative
to what was sent into it (the cap when more than the cap went in). The requests a slice gets through
depend on the machine; so does how many slices fit in the run (at least three, in rotation order)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.app import SERVICES, create_app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CAP = 300
# benchmarks/soak.py's rotation: every discovered vendor's load sends, in discovery order (the Voice OTP
# slices fill the OTP table, one fresh phone per request).
WORKLOADS = [load.label for v in create_app(scenarios=[])[SERVICES].vendors.values() for load in v.load_sends()]
SUCCESS_SHARE = 0.99


def test_a_short_soak_holds_the_journal_cap(tmp_path):
    out = tmp_path / "soak.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--minutes", "0.25", "--every", "1"]
    command += ["--journal-size", str(CAP), "--connections", "16", "--json", str(out)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert "Traceback" not in run.stderr, run.stderr
    result = json.loads(out.read_text())
    assert run.returncode == (0 if result["holds"] else 1), run.stdout + run.stderr
    assert result["journal_size"] == CAP
    samples = result["samples"]
    assert len(samples) >= 3
    assert [s["operation"] for s in samples] == [WORKLOADS[i % len(WORKLOADS)] for i in range(len(samples))]

    requests = result["requests"]
    assert requests >= 2 * CAP  # enough to push every request-fed table past the cap
    assert result["errors"] / requests <= 1 - SUCCESS_SHARE, result["errors"]
    checked = result["requests_checked_for_vendor_errors"]
    assert checked > 0 and result["vendor_errors"] / checked <= 1 - SUCCESS_SHARE, result["vendor_errors"]

    for sample in samples:
        assert all(sample["journal"][k] <= CAP for k in ("messages", "requests", "callbacks", "otps")), sample
    peaks = result["journal_max"]
    assert (peaks["messages"], peaks["requests"], peaks["callbacks"]) == (CAP, CAP, 0)  # full, and no callbacks
    assert samples[-1]["journal"]["dropped_messages"] > 0  # held at the cap: the oldest went

    # The OTP table against the OTP requests sent so far: min(sent, cap), less at most the failed share.
    otp_requests = 0
    previous = 0
    for sample in samples:
        if sample["operation"] == "Voice postSMS":
            otp_requests += sample["requests"] - previous
        previous = sample["requests"]
        expected = min(otp_requests, CAP)
        assert SUCCESS_SHARE * expected <= sample["journal"]["otps"] <= CAP, (sample, otp_requests)
    assert result["rss_mb"]["peak"] > 0 and "holds " in run.stdout
