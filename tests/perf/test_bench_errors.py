"""``benchmarks/run.py`` counts an answer as an error unless it is the vendor's success.

HTTP 2xx is not enough: SmartSMSBulk answers INSUFFICIENT_CREDIT with 200, so a benchmark whose
accounts ran dry would report a fine rate of refusals. The run reads the mock's own request
counter around each measured load and fails when the two disagree; these tests drive the
benchmark's own functions (``checked``, ``drive``, ``bench_config``) against a real
``mockserver serve``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BROKE = """name: every send refused
rules:
  - {name: broke, match: {vendor: smartsmsbulk}, respond: {error: INSUFFICIENT_CREDIT}}
"""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """``benchmarks/run.py`` as a module of its own name (``run`` is too common a name to import)."""
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def config_file(bench: ModuleType, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "bench.yaml"
    path.write_text(json.dumps(bench.bench_config()))  # JSON is YAML
    yield path
    bench.FAILED_RUNS.clear()


def test_a_200_with_the_vendors_error_is_counted_as_an_error(bench: ModuleType, config_file: Path, tmp_path) -> None:
    scenario = tmp_path / "broke.yaml"
    scenario.write_text(BROKE)
    source = next(s for s in bench.sources(bench.bench_config()) if s.vendor == "smartsmsbulk")
    work = source.workload(0, 200)
    mock = bench.mock_server(str(config_file), "--scenario", str(scenario))
    try:
        got = bench.checked("broke", mock.base, work.vendor, bench.drive, mock.base, work, 4, 0.5)
    finally:
        mock.stop()
    assert got["requests"] > 0
    # Every answer was HTTP 200, none a success; wrk stops with requests in flight that the mock
    # answered (with the error too) but wrk did not count: at least every counted one.
    assert got["errors"] >= got["requests"], got
    assert len(bench.FAILED_RUNS) == 1 and "INSUFFICIENT_CREDIT" in bench.FAILED_RUNS[0], bench.FAILED_RUNS


def test_every_benchmarked_operation_succeeds_with_the_bench_config(bench: ModuleType, config_file: Path) -> None:
    """``bench_config`` (each vendor's ``without_limits``) covers every vendor and operation the
    benchmark drives: none runs out of credit, hits a rate limit or a duplicate check."""
    config = bench.bench_config()
    works = bench.workloads(config, 5_000)
    assert {w.vendor for w in works} == set(config["vendors"])  # every vendor is benchmarked
    mock = bench.mock_server(str(config_file))
    try:
        for work in works:
            bench.post(mock.base + "/_mock/reset")
            got = bench.checked(work.name, mock.base, work.vendor, bench.drive, mock.base, work, 4, 0.3)
            assert got["requests"] > 0, work.name
    finally:
        mock.stop()
    assert bench.FAILED_RUNS == []


def test_an_error_is_counted_once_whoever_saw_it(bench: ModuleType) -> None:
    before = bench.Outcomes(Counter(ok=100, RATE_LIMITED=2), 0)
    # 10 answers counted, 8 journaled ok, 2 rate limited with 429 (the load generator saw those).
    after = bench.Outcomes(Counter(ok=108, RATE_LIMITED=4), 0)
    assert bench.answer_errors(10, 2, before, after) == (2, {"RATE_LIMITED": 2})
    # wrk stopped with 3 requests in flight: the mock answered 13, wrk counted 10.
    assert bench.answer_errors(10, 0, before, bench.Outcomes(Counter(ok=113, RATE_LIMITED=2), 0)) == (0, {})
    # Answers that left the journal before a scrape saw them cannot be shown to be successes.
    assert bench.answer_errors(10, 0, before, bench.Outcomes(Counter(ok=105, RATE_LIMITED=2), 5)) == (
        5,
        {"unattributed": 5},
    )
