"""The soak (``benchmarks/soak.py``) in small: 10 s of load, 1 s per workload, on a tiny journal, so that the
journal is at its cap almost at once and stays there; the run must hold (exit 0) and its JSON
must show every journal count within the cap, no error, and requests served."""

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


def test_a_short_soak_holds_the_journal_cap(tmp_path):
    out = tmp_path / "soak.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--minutes", "0.16", "--every", "1"]
    command += ["--journal-size", str(CAP), "--connections", "16", "--json", str(out)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(out.read_text())
    assert result["holds"] is True and result["journal_size"] == CAP
    assert result["errors"] == 0 and result["vendor_errors"] == 0
    assert result["requests"] > 1000 and result["requests_checked_for_vendor_errors"] > 0
    samples = result["samples"]
    assert len(samples) >= 3
    for sample in samples:
        assert all(sample["journal"][k] <= CAP for k in ("messages", "requests", "callbacks", "otps")), sample
    workloads = {load.label for v in create_app(scenarios=[])[SERVICES].vendors.values() for load in v.load_sends()}
    assert {s["operation"] for s in samples} == workloads  # every vendor's workload had its slice
    assert result["journal_max"] == {"messages": CAP, "requests": CAP, "callbacks": 0, "otps": CAP}  # cap reached
    assert samples[-1]["journal"]["dropped_messages"] > 0  # and held: the oldest went
    assert result["rss_mb"]["peak"] > 0 and "holds          yes" in run.stdout
