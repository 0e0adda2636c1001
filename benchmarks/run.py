"""The benchmark: every vendor operation against the ceiling of our stack, start-up, memory,
callbacks and delayed requests, in one run.

    python benchmarks/run.py            # full run (about 3 minutes)
    python benchmarks/run.py --quick    # CI-size run (about 1 minute)
    python benchmarks/run.py --json out.json

What it does:

* starts ``mockserver serve --quiet`` with its own config (large balances and rate limits, so the
  load never runs out of credit) and, as the ceiling, ``benchmarks/ceiling.py``: a bare aiohttp
  handler that parses the same body and answers a fixed one, on the same event loop (checked:
  each reports the loop it runs on) and with the same listen backlog. Servers are pinned to CPU 0;
* drives both with the same load from a separate process pinned to CPU 1 (wrk when installed,
  else ``benchmarks/loadgen.py``), cycling through distinct requests (texts and recipients vary,
  outside the default scenario's magic numbers), and reports per operation requests/s, p50/p99,
  errors and the ratio to the ceiling, and the CPU each request cost the server (utime+stime
  from its /proc around each measured run, for the mock and the ceiling: on a shared machine it
  holds far better than req/s; ``cpu_ratio`` is mock/ceiling). The first SmartSMSBulk operation
  is run again at 500 connections (undelayed: the tail-latency row), and around each mock run
  the GC pause histogram of ``/_mock/metrics`` gives the pauses meanwhile. Ceiling and mock
  take turns (3 rounds each) and the ratios are of the totals: on a shared machine the speed
  drifts by a third within a minute, and turns spread that over both;
* times process start to first served request, RSS after 1M journaled messages (at the default
  cap of 100,000), callbacks/s with none lost (``benchmarks/callbacks.py``), a 10,000-message
  SmartSMSBulk burst until every callback arrived, and 500 concurrent requests delayed 50 ms each.

Every answer a figure counts must be the vendor's success, and HTTP 2xx is not enough (most
vendors answer INSUFFICIENT_CREDIT and the like with 200): around each measured run the mock's own
request counter (``/_mock/metrics``, by vendor and outcome) is read, and the run's errors are the
largest of the load generator's errors (transport, non-2xx), the counted answers the counter does
not show as ``ok``, and the answers it shows as anything else (see :func:`answer_errors`). Any
error makes the run exit 1, after the table, naming the runs and outcomes.

Prints a table, writes JSON (``--json``, default ``benchmarks/results.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

BIG = 10**12
SERVER_CPU, LOAD_CPU = 0, 1
ROUNDS = 3  # alternating ceiling/mock runs per operation


# -- set-up ------------------------------------------------------------------------------------
def bench_config() -> dict[str, Any]:
    """The bundled vendor sections with balances and rate limits no benchmark can exhaust
    (each vendor's ``without_limits``)."""
    from mockserver.bundled import build_config
    from mockserver.vendors import discover

    sections = build_config(None).data["vendors"]
    return {"vendors": {v.name: v.without_limits(sections[v.name], BIG) for v in discover()}}


@dataclass
class Workload:
    name: str
    method: str
    path: str
    headers: dict[str, str]
    bodies: list[str]
    vendor: str


@dataclass
class Source:
    """One vendor operation's requests: ``make(n)`` is request ``n``, distinct from every other
    ``n`` (so a caller that needs fresh requests, as the soak does, asks for the next range)."""

    name: str
    vendor: str
    make: Callable[[int], Any]  # n -> mockserver.http.vendor.SampleRequest
    size: int | None = None  # a fixed pool size, whatever the caller asks (None: the caller's)

    def workload(self, start: int, count: int) -> Workload:
        samples = [self.make(n) for n in range(start, start + count)]
        first = samples[0]
        return Workload(
            self.name, first.method, first.path, dict(first.headers), [s.body.decode() for s in samples], self.vendor
        )


def sources(config: dict[str, Any]) -> list[Source]:
    """Every benchmarked operation: each vendor's ``load_sends`` (request ``n`` goes to
    ``load_recipient(n)``, outside the magic numbers, with a text naming ``n``, so that no vendor
    refuses a repeat), in ``discover()`` order; a new vendor is benchmarked with no edit here."""
    from mockserver.app import SERVICES, create_app
    from mockserver.vendors import discover

    vendors = create_app(config, seed=1, scenarios=[])[SERVICES].vendors
    return [
        Source(load.label, v.name, load.make, size=load.pool)
        for v in (vendors[c.name] for c in discover())
        for load in v.load_sends()
    ]


def workloads(config: dict[str, Any], size: int) -> list[Workload]:
    """``size`` distinct requests per operation (see ``sources``)."""
    return [source.workload(0, source.size or size) for source in sources(config)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(cpu: int) -> list[str]:
    """``taskset -c cpu`` when the machine has that CPU and taskset exists, else nothing."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > max(SERVER_CPU, LOAD_CPU):
        return ["taskset", "-c", str(cpu)]
    return []


def get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


def post(url: str, data: dict | None = None) -> bytes:
    body = json.dumps(data or {}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read()


class Server:
    """A server process pinned to ``SERVER_CPU``, ready once ``probe`` answers; run from ``root``
    (its working directory, first on its ``PYTHONPATH``: another checkout's server, say)."""

    def __init__(self, command: list[str], port: int, probe: str, root: Path = ROOT) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.loop = "unknown"  # the event loop it runs on, as it reports it (mock_server, ceiling_server)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(pinned(SERVER_CPU) + command, cwd=root, env=env, stdout=subprocess.DEVNULL)
        try:
            self.ready_after = self._wait(probe)
        except BaseException:
            self.stop()
            raise

    def _wait(self, probe: str) -> float:
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            try:
                get(self.base + probe, timeout=1)
                return time.perf_counter() - self.started
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}") from None
                time.sleep(0.002)
        raise RuntimeError("server did not start")

    def rss_mb(self) -> float:
        pid = self.proc.pid  # taskset execs the server: the same pid
        text = Path(f"/proc/{pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", text)[1]) / 1024

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ``--data-dir``: every mock started keeps its state in a fresh data dir (SQLite, written behind).
DATA_DIRS: list[str] = []


def mock_server(config_path: str, *extra: str, root: Path = ROOT) -> Server:
    port = free_port()
    if DATA_DIRS:
        DATA_DIRS.append(tempfile.mkdtemp(prefix="mockserver-bench-"))
        extra = (*extra, "--data-dir", DATA_DIRS[-1])
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--quiet", "--seed", "1"]
    server = Server([*command, "--config", config_path, *extra], port, "/_mock/health", root=root)
    server.loop = LOOPS["mock"] = json.loads(get(server.base + "/_mock/health")).get("loop", "unknown")  # older: none
    return server


def mock_backlog() -> int:
    """The listen backlog the mock gets (the bench config leaves ``server:`` at its defaults)."""
    from mockserver.bundled import build_config

    return int(build_config(None).data["server"]["backlog"])


def ceiling_server() -> Server:
    port = free_port()
    command = [sys.executable, str(HERE / "ceiling.py"), "--port", str(port), "--backlog", str(mock_backlog())]
    server = Server(command, port, "/ready")
    server.loop = LOOPS["ceiling"] = get(server.base + "/_loop").decode()
    return server


# The loop each kind of server reported it runs on, for the results' machine section.
LOOPS: dict[str, str] = {}


def same_loop(mock: Server, ceiling: Server) -> None:
    """Refuse to compare the mock with a ceiling on another event loop: uvloop alone moves either
    by about a fifth, which is the size of what the ratio is for."""
    if mock.loop != ceiling.loop:
        raise RuntimeError(f"the mock runs on {mock.loop} and the ceiling on {ceiling.loop}: not the same stack")


# -- load ----------------------------------------------------------------------------------------
WRK_SCRIPT = """
local bodies = {}
local i = 0
wrk.method = %(method)s
wrk.path = %(path)s
%(headers)s
init = function(args)
  for line in io.lines(%(file)s) do bodies[#bodies + 1] = line end
end
request = function()
  i = i + 1
  if i > #bodies then i = 1 end
  return wrk.format(nil, nil, nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "us": %%d, "errors": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for ASCII


def drive(base: str, work: Workload, connections: int, seconds: float) -> dict[str, float]:
    """Closed-loop load from a separate process on ``LOAD_CPU``: wrk, else loadgen.py. wrk takes
    whole seconds only (``-d0.5s`` is a usage error): a shorter run is rounded up."""
    if shutil.which("wrk"):
        with tempfile.TemporaryDirectory() as tmp:
            bodies = Path(tmp, "bodies.txt")
            bodies.write_text("\n".join(work.bodies) + "\n")
            headers = "\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in work.headers.items())
            script = Path(tmp, "load.lua")
            script.write_text(
                WRK_SCRIPT
                % {
                    "method": lua_string(work.method),
                    "path": lua_string(work.path),
                    "headers": headers,
                    "file": lua_string(str(bodies)),
                }
            )
            whole = max(1, math.ceil(seconds))
            out = subprocess.run(
                [*pinned(LOAD_CPU), "wrk", "-t1", f"-c{connections}", f"-d{whole}s", "--timeout", "10s",
                 "-s", str(script), base],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
        data = json.loads(out[out.index("WRKJSON") + 7 :].splitlines()[0])
        secs = data["us"] / 1e6
        return {
            "requests": data["requests"],
            "seconds": secs,
            "errors": data["errors"],
            "p50_ms": data["p50_us"] / 1000,
            "p99_ms": data["p99_us"] / 1000,
            "max_ms": data["max_us"] / 1000,
        }
    job = {
        "url": base + work.path,
        "method": work.method,
        "headers": work.headers,
        "bodies": work.bodies,
        "connections": connections,
        "duration": seconds,
    }
    out = subprocess.run(
        [*pinned(LOAD_CPU), sys.executable, str(HERE / "loadgen.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def cpu_drive(server: Server, work: Workload, connections: int, seconds: float) -> dict[str, float]:
    """:func:`drive` with the CPU time the server used meanwhile (``cpu_s``: utime+stime from its
    /proc). On a shared machine req/s move with what the neighbours do, but the CPU a request
    costs the server barely does: CPU per request is the figure to compare, req/s the one to show."""
    before = server.cpu_seconds()
    got = dict(drive(server.base, work, connections, seconds))
    got["cpu_s"] = server.cpu_seconds() - before
    return got


def cpu_us(runs: list[dict[str, float]]) -> float:
    """Server CPU microseconds per counted request over ``runs`` (of :func:`cpu_drive`)."""
    return 1e6 * sum(r["cpu_s"] for r in runs) / max(1, sum(r["requests"] for r in runs))


# -- were the answers successes? -------------------------------------------------------------------
@dataclass(frozen=True)
class Outcomes:
    """The mock's request counter for one vendor at one moment (``/_mock/metrics``): answers by
    outcome (``ok`` is the vendor's success; any other is an error the vendor answers, often with
    HTTP 200), and the requests it could not attribute (gone from the journal before a scrape
    saw them: more than ``journal_size`` between two reads, so unverified)."""

    by_outcome: Counter[str] = field(default_factory=Counter)
    unattributed: int = 0


def outcomes(base: str, vendor: str) -> Outcomes:
    """Read ``/_mock/metrics`` now. Its counters never go back (``/_mock/reset`` leaves them), so
    a run's answers are the difference of a read before and one after."""
    from prometheus_client.parser import text_string_to_metric_families

    tally: Counter[str] = Counter()
    unattributed = 0
    for family in text_string_to_metric_families(get(base + "/_mock/metrics", timeout=60).decode()):
        for sample in family.samples:
            if sample.name == "mockserver_requests_total" and sample.labels.get("vendor") == vendor:
                tally[sample.labels["outcome"]] += int(sample.value)
            elif sample.name == "mockserver_requests_unattributed_total":
                unattributed += int(sample.value)
    return Outcomes(tally, unattributed)


def answer_errors(counted: int, load_errors: int, before: Outcomes, after: Outcomes) -> tuple[int, dict[str, int]]:
    """How many of the ``counted`` answers of a run were not the vendor's success, and the mock's
    other outcomes in that run (``{"INSUFFICIENT_CREDIT": 12}``).

    The largest of three counts, each of which can miss errors but never counts a success:
    ``load_errors`` (the load generator's transport errors and non-2xx statuses); the counted
    answers the mock did not count as ``ok`` (``counted`` minus its new ``ok`` answers: a 200
    with the vendor's error is one); and the mock's new answers of any other outcome, with the
    unattributed ones (wrk stops with requests in flight, which the mock answers but wrk does not
    count). Summing them would count an error twice (a 429 is a non-2xx and a ``RATE_LIMITED``)."""
    ok = after.by_outcome["ok"] - before.by_outcome["ok"]
    other = {k: n - before.by_outcome[k] for k, n in after.by_outcome.items() if k != "ok" and n > before.by_outcome[k]}
    if after.unattributed > before.unattributed:
        other["unattributed"] = after.unattributed - before.unattributed
    return max(load_errors, counted - ok, sum(other.values())), other


# Every measured run with an answer that was not a success: the run exits 1 when there is one.
FAILED_RUNS: list[str] = []


def checked(label: str, base: str, vendor: str, run: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``run(*args)`` (a load: ``{"requests", "errors", ...}``) between two reads of the mock's
    request counter; its ``errors`` become :func:`answer_errors`'s, and a run with any is
    remembered in :data:`FAILED_RUNS`."""
    before = outcomes(base, vendor)
    got = dict(run(*args))
    got["errors"], other = answer_errors(got["requests"], got["errors"], before, outcomes(base, vendor))
    if got["errors"]:
        FAILED_RUNS.append(f"{label}: {got['errors']} of {got['requests']} answers not a success (mock: {other})")
    return got


def gc_buckets(base: str) -> dict[float, int]:
    """The mock's GC pauses so far (``mockserver_gc_pause_seconds``, every generation): pauses of
    at most ``le`` seconds by ``le``, cumulative as Prometheus gives them; empty from a mock that
    does not time its collections (an older one)."""
    from prometheus_client.parser import text_string_to_metric_families

    tally: Counter[float] = Counter()
    for family in text_string_to_metric_families(get(base + "/_mock/metrics", timeout=60).decode()):
        for sample in family.samples:
            if sample.name == "mockserver_gc_pause_seconds_bucket":
                tally[float(sample.labels["le"])] += int(sample.value)
    return dict(tally)


def gc_during(before: dict[float, int], after: dict[float, int]) -> dict[str, Any]:
    """The pauses between two :func:`gc_buckets` reads: how many, how many over 5 ms, and the
    longest one's bound (the smallest ``le`` that holds them all, ms; the histogram's resolution)."""
    new = {le: n - before.get(le, 0) for le, n in after.items()}
    total = new.get(float("inf"), 0)
    bound = min((le for le, n in new.items() if n == total), default=None)
    over = total - new.get(0.005, total)
    return {
        "gc_pauses": total,
        "gc_over_5ms": over,
        "gc_max_pause_ms_at_most": None if bound is None or total == 0 else round(bound * 1000, 2),
    }


def measured(
    mock: Server, ceiling: Server, work: Workload, connections: int, seconds: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``ROUNDS`` turns of the ceiling then the mock on ``work`` (after a warm-up of each), with
    the server's CPU (:func:`cpu_drive`) and, for the mock, its GC pauses meanwhile
    (:func:`gc_during`): (the mock's runs, the ceiling's runs). The machine's speed drifts (shared
    CPUs): taking turns makes a slow moment hit both sides."""
    drive(ceiling.base, work, connections, 1)  # warm-up
    post(mock.base + "/_mock/reset")
    drive(mock.base, work, connections, 1)
    tops, gots = [], []
    for n in range(ROUNDS):
        tops.append(cpu_drive(ceiling, work, connections, seconds))
        post(mock.base + "/_mock/reset")  # fresh dedupe windows (FPT, Voice OTP refuse repeats)
        label = f"{work.name} at {connections} connections, round {n + 1}"
        pauses = gc_buckets(mock.base)
        got = checked(label, mock.base, work.vendor, cpu_drive, mock, work, connections, seconds)
        got.update(gc_during(pauses, gc_buckets(mock.base)))
        gots.append(got)
    return gots, tops


def compared(operation: str, gots: list[dict[str, Any]], tops: list[dict[str, Any]]) -> dict[str, Any]:
    """One table row from :func:`measured`: req/s and CPU per request of the totals (mock,
    ceiling, ratio), median p50/p99 of the rounds, and the rounds' own ratios and GC pauses."""
    rps = sum(g["requests"] for g in gots) / sum(g["seconds"] for g in gots)
    top_rps = sum(t["requests"] for t in tops) / sum(t["seconds"] for t in tops)
    mock_cpu, top_cpu = cpu_us(gots), cpu_us(tops)
    bounds = [g["gc_max_pause_ms_at_most"] for g in gots if g["gc_max_pause_ms_at_most"] is not None]
    return {
        "operation": operation,
        "rps": round(rps),
        "p50_ms": round(statistics.median(g["p50_ms"] for g in gots), 2),
        "p99_ms": round(statistics.median(g["p99_ms"] for g in gots), 2),
        "p99_ms_rounds": [round(g["p99_ms"], 2) for g in gots],
        "ceiling_p99_ms": round(statistics.median(t["p99_ms"] for t in tops), 2),
        "errors": sum(g["errors"] for g in gots),
        "ceiling_rps": round(top_rps),
        "ratio": round(rps / top_rps, 2),
        "ratio_rounds": [
            round((g["requests"] / g["seconds"]) / (t["requests"] / t["seconds"]), 2)
            for g, t in zip(gots, tops, strict=False)
        ],
        "cpu_us": round(mock_cpu, 1),
        "ceiling_cpu_us": round(top_cpu, 1),
        "cpu_ratio": round(mock_cpu / top_cpu, 2) if top_cpu else None,
        "cpu_ratio_rounds": [
            round(cpu_us([g]) / cpu_us([t]), 2) if t["cpu_s"] and g["requests"] else None
            for g, t in zip(gots, tops, strict=False)
        ],
        "gc_pauses": sum(g["gc_pauses"] for g in gots),
        "gc_over_5ms": sum(g["gc_over_5ms"] for g in gots),
        "gc_max_pause_ms_at_most": max(bounds, default=None),
    }


def printed(row: dict[str, Any]) -> None:
    print(
        f"  {row['operation']:<24} {row['rps']:8,} req/s  p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms"
        f"  errors {row['errors']}  ceiling {row['ceiling_rps']:8,} (p99 {row['ceiling_p99_ms']:.2f} ms)"
        f"  ratio {row['ratio']:.2f} (rounds {row['ratio_rounds']})"
        f"  CPU {row['cpu_us']:.0f} us vs {row['ceiling_cpu_us']:.0f} us: {row['cpu_ratio']}"
        f"  GC pauses {row['gc_pauses']}, over 5 ms {row['gc_over_5ms']}"
        f", longest <= {row['gc_max_pause_ms_at_most']} ms",
        flush=True,
    )


WIDE = 500  # connections of the tail-latency row (the issue's p99 target is at 500)


def throughput(
    config_path: str, works: list[Workload], connections: int, seconds: float, wide: bool = True
) -> list[dict[str, Any]]:
    """Every operation at ``connections``; then (``wide``) the first SmartSMSBulk one at
    :data:`WIDE` connections, undelayed (its p99 and the GC pauses meanwhile), and the bulk
    operation on one connection."""
    rows = []
    mock = mock_server(config_path)
    try:
        ceiling = ceiling_server()
    except Exception:
        mock.stop()
        raise
    try:
        same_loop(mock, ceiling)
        for work in works:
            rows.append(compared(work.name, *measured(mock, ceiling, work, connections, seconds)))
            printed(rows[-1])
        first = next((w for w in works if w.vendor == DELAY_VENDOR), None)
        if wide and first is not None:
            rows.append(compared(f"{first.name} ({WIDE} conn.)", *measured(mock, ceiling, first, WIDE, seconds)))
            printed(rows[-1])
        health = json.loads(get(mock.base + "/_mock/health"))
        if health.get("gc"):  # the longest pauses, wall clock and CPU time (without the neighbours' share)
            rows[-1]["gc_since_start"] = health["gc"]
            print(f"  GC since start: {health['gc']}", flush=True)
        bulk = next((w for w in works if w.name.endswith("x500")), None)
        if bulk is None:  # --operation left it out
            return rows
        post(mock.base + "/_mock/reset")
        single = checked(f"{bulk.name} (1 connection)", mock.base, bulk.vendor, cpu_drive, mock, bulk, 1, seconds)
        rows.append(
            {
                "operation": bulk.name + " (1 connection)",
                "rps": round(single["requests"] / single["seconds"]),
                "p50_ms": round(single["p50_ms"], 2),
                "p99_ms": round(single["p99_ms"], 2),
                "errors": single["errors"],
                "ceiling_rps": None,
                "ratio": None,
                "cpu_us": round(cpu_us([single]), 1),
                "ceiling_cpu_us": None,
                "cpu_ratio": None,
            }
        )
        print(f"  {rows[-1]['operation']:<24} p50 {single['p50_ms']:.2f} ms", flush=True)
    finally:
        mock.stop()
        ceiling.stop()
    return rows


# -- the other figures ---------------------------------------------------------------------------
def startup(config_path: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        server = mock_server(config_path)
        times.append(server.ready_after)
        server.stop()
    return statistics.median(times)


async def _fill(base: str, work: Workload, messages: int, concurrency: int) -> dict[str, Any]:
    """Send ``messages`` (500 per request); a load's figures, non-2xx answers as errors."""
    import aiohttp

    per_request = 500
    requests = -(-messages // per_request)
    errors = 0
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        queue = iter(range(requests))

        async def worker() -> None:
            nonlocal errors
            for n in queue:
                body = work.bodies[n % len(work.bodies)].encode()
                async with http.post(base + work.path, data=body, headers=work.headers) as resp:
                    await resp.read()
                    errors += resp.status >= 300

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"requests": requests, "errors": errors, "seconds": time.perf_counter() - started}


def memory(config_path: str, works: list[Workload], messages: int) -> dict[str, Any]:
    bulk = next(w for w in works if w.name.endswith("x500"))
    mock = mock_server(config_path)
    try:
        before = mock.rss_mb()
        fill = checked("memory fill", mock.base, bulk.vendor, lambda: asyncio.run(_fill(mock.base, bulk, messages, 4)))
        time.sleep(1.5)  # every message delivered: the lifecycle timers are gone
        health = json.loads(get(mock.base + "/_mock/health"))
        return {
            "messages_sent": messages,
            "errors": fill["errors"],
            "seconds": round(fill["seconds"], 1),
            "journal": health["messages"],
            "rss_start_mb": round(before, 1),
            "rss_mb": round(mock.rss_mb(), 1),
        }
    finally:
        mock.stop()


def callbacks(messages: int, clock: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / "callbacks.py"), "-n", str(messages), "--clock", clock, "--timeout", "60"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    out = done.stdout

    def figure(label: str) -> str:
        m = re.search(rf"^{label}\s+(.+)$", out, re.M)
        return m[1] if m else ""

    result = {
        "messages": messages,
        "refused": int(figure("refused") or -1),  # sends not answered OK by the vendor
        "reports_per_s": float(figure("reports/s").replace(",", "") or 0),
        "lost": int(figure("lost") or -1),
        "doubled": int(figure("doubled") or -1),
        "burst_seconds": float((figure(r"burst \(first send to last report\)") or "nan s").split()[0]),
    }
    if done.returncode != 0 or result["refused"] != 0:  # callbacks.py exits 1 on any refused, lost or doubled
        FAILED_RUNS.append(f"callbacks ({clock} clock): exit {done.returncode}, {result}")
    return result


DELAY_VENDOR = "smartsmsbulk"  # whose sends the delay part drives, and whose calls its scenario delays
DELAY_SCENARIO = f"""name: bench-delay
rules:
  - name: 50 ms on every {DELAY_VENDOR} call
    match: {{vendor: {DELAY_VENDOR}}}
    delay: {{fixed: 50ms}}
"""


WARM = 20  # requests before the burst: the path warmed (not the connections)


async def _burst(base: str, work: Workload, n: int) -> dict[str, Any]:
    """``n`` requests at once on ``n`` new connections, after :data:`WARM` others; a load's
    figures (``requests`` counts the warm ones too: all are checked), with the burst's time, its
    slowest answer (from the burst's start) and how many took 1 s or more (a connect that found
    the listen queue full waits a second for its SYN to be sent again)."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def one(i: int) -> tuple[int, float]:
            async with http.post(base + work.path, data=work.bodies[i].encode(), headers=work.headers) as resp:
                await resp.read()
                return resp.status, time.perf_counter()

        await asyncio.gather(*(one(i) for i in range(WARM)))
        started = time.perf_counter()
        answers = await asyncio.gather(*(one(WARM + i) for i in range(n)))
        seconds = time.perf_counter() - started
    took = [done - started for _, done in answers]
    return {
        "requests": WARM + n,
        "errors": sum(1 for status, _ in answers if status >= 300),
        "seconds": seconds,
        "slowest_s": max(took),
        "over_1s": sum(1 for t in took if t >= 1.0),
    }


def listen_overflows() -> int | None:
    """The kernel's count of connects dropped at a full listen queue (``TcpExt: ListenOverflows``,
    for the whole machine), or None where /proc does not tell."""
    try:
        text = Path("/proc/net/netstat").read_text()
        names, values = (line.split() for line in text.splitlines() if line.startswith("TcpExt:"))
        return int(values[names.index("ListenOverflows")])
    except (OSError, IndexError, ValueError):
        return None


def rule_hits(base: str) -> int:
    """How often the mock's scenario rules applied so far (``/_mock/metrics``)."""
    from prometheus_client.parser import text_string_to_metric_families

    families = text_string_to_metric_families(get(base + "/_mock/metrics", timeout=60).decode())
    return sum(int(s.value) for f in families for s in f.samples if s.name == "mockserver_scenario_rule_hits_total")


def delayed(config_path: str, works: list[Workload], seconds: float) -> dict[str, Any]:
    """500 requests at once, then 500 connections of closed-loop load, each request delayed 50 ms.
    The rule's hits are checked against the requests: a delay rule for another vendor than the
    one driven once made this a figure of undelayed requests."""
    work = next(w for w in works if w.vendor == DELAY_VENDOR)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(DELAY_SCENARIO)
    mock = mock_server(config_path, "--scenario", f.name)
    try:
        overflows = listen_overflows()
        hits = rule_hits(mock.base)
        burst = checked("delay, 500 at once", mock.base, work.vendor, lambda: asyncio.run(_burst(mock.base, work, 500)))
        load = checked("delay, 500 connections", mock.base, work.vendor, drive, mock.base, work, 500, seconds)
        after = listen_overflows()
        hits, sent = rule_hits(mock.base) - hits, burst["requests"] + load["requests"]
        if hits < sent:
            FAILED_RUNS.append(f"delay: the 50 ms rule delayed {hits} of {sent} requests")
        return {
            "concurrent": 500,
            "delay_ms": 50,
            "burst_seconds": round(burst["seconds"], 3),
            "burst_slowest_s": round(burst["slowest_s"], 3),
            "burst_over_1s": burst["over_1s"],
            "burst_errors": burst["errors"],
            "rps_at_500": round(load["requests"] / load["seconds"]),
            "p99_ms": round(load["p99_ms"], 1),
            "max_ms": round(load["max_ms"], 1),
            "errors": load["errors"],
            "listen_overflows": None if overflows is None or after is None else after - overflows,
        }
    finally:
        mock.stop()
        os.unlink(f.name)


# -- report --------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError, TypeError):
        model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())[1]
    from mockserver.core.tuning import chosen_loop
    from mockserver.http.edge import effective_backlog

    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "loop": chosen_loop(),  # what `mockserver serve` picks here; run.py adds what each server reported
        "backlog": effective_backlog(mock_backlog()),  # server.backlog, after net.core.somaxconn's cap
        "load": "wrk" if shutil.which("wrk") else "loadgen.py",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs and smaller sizes (CI)")
    parser.add_argument("--json", default=str(HERE / "results.json"), help="where to write the figures")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--only", choices=("throughput", "startup", "memory", "callbacks", "delay"), action="append")
    parser.add_argument(
        "--operation", action="append", help="only the workloads whose name contains this (repeatable): SendSMS"
    )
    parser.add_argument(
        "--data-dir", action="store_true", help="run the mock with --data-dir (a fresh temporary one per start)"
    )
    args = parser.parse_args()
    if args.data_dir:
        DATA_DIRS.append("")  # on: mock_server adds one per start
    seconds = 2 if args.quick else 5
    parts = set(args.only or ("throughput", "startup", "memory", "callbacks", "delay"))
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    print("machine:", results["machine"], flush=True)
    config = bench_config()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        json.dump(config, f)  # JSON is YAML
    try:
        every = workloads(config, 20_000 if args.quick else 100_000)  # memory and delay pick theirs from all
        works = [w for w in every if any(o.lower() in w.name.lower() for o in args.operation or [""])]
        if "throughput" in parts:
            per_round = 1 if args.quick else 3
            print(
                f"throughput ({args.connections} connections, {ROUNDS} rounds of {per_round} s per side):", flush=True
            )
            results["throughput"] = throughput(f.name, works, args.connections, per_round)
        if "startup" in parts:
            results["startup_s"] = round(startup(f.name, 3 if args.quick else 5), 3)
            print(f"ready to serve after      {results['startup_s']:.3f} s", flush=True)
        if "memory" in parts:
            results["memory"] = memory(f.name, every, 200_000 if args.quick else 1_000_000)
            print(f"memory                    {results['memory']}", flush=True)
        if "callbacks" in parts:
            results["callbacks"] = callbacks(5_000 if args.quick else 20_000, "frozen")
            results["burst"] = callbacks(10_000, "real")
            print(f"callbacks                 {results['callbacks']}", flush=True)
            print(f"10k burst (real clock)    {results['burst']}", flush=True)
        if "delay" in parts:
            results["delay"] = delayed(f.name, every, seconds)
            print(f"50 ms delay x 500         {results['delay']}", flush=True)
    finally:
        os.unlink(f.name)
        for path in filter(None, DATA_DIRS):
            shutil.rmtree(path, ignore_errors=True)
    results["data_dir"] = bool(DATA_DIRS)
    results["machine"].update({f"loop_{kind}": name for kind, name in LOOPS.items()})
    results["failed_runs"] = FAILED_RUNS
    print_table(results)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.json}")
    if FAILED_RUNS:
        print(f"\nFAILED: {len(FAILED_RUNS)} measured run(s) counted answers that were not a success:", file=sys.stderr)
        for line in FAILED_RUNS:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def print_table(results: dict[str, Any]) -> None:
    print()
    loops = ", ".join(f"{kind} {results['machine'][f'loop_{kind}']}" for kind in LOOPS)
    print(f"event loop: {loops or results['machine']['loop']}; listen backlog {results['machine']['backlog']}")
    rows = results.get("throughput") or []
    if rows:
        print(
            f"| {'operation':<38} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'errors':>6}"
            f" | {'ceiling':>8} | {'ratio':>5} | {'CPU us':>6} | {'ceil. us':>8} | {'CPU x':>5} | {'GC max ms':>9} |"
        )
        print(
            f"|{'-' * 40}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 10}|{'-' * 7}"
            f"|{'-' * 8}|{'-' * 10}|{'-' * 7}|{'-' * 11}|"
        )

        def shown(value: Any, spec: str) -> str:
            return "-" if value is None else format(value, spec)

        for r in rows:
            gc_max = r.get("gc_max_pause_ms_at_most")
            print(
                f"| {r['operation']:<38} | {r['rps']:>8,} | {r['p50_ms']:>7.2f} | {r['p99_ms']:>7.2f}"
                f" | {r['errors']:>6} | {shown(r['ceiling_rps'], ','):>8} | {shown(r['ratio'], '.2f'):>5}"
                f" | {shown(r.get('cpu_us'), '.0f'):>6} | {shown(r.get('ceiling_cpu_us'), '.0f'):>8}"
                f" | {shown(r.get('cpu_ratio'), '.2f'):>5} | {'<= ' + shown(gc_max, 'g') if gc_max else '-':>9} |"
            )
        print("CPU us: the server's utime+stime per request (/proc); GC max: the longest pause's histogram bound")
    if "startup_s" in results:
        print(f"\nready to serve after start: {results['startup_s']:.3f} s")
    if "memory" in results:
        m = results["memory"]
        print(
            f"RSS after {m['messages_sent']:,} journaled messages (cap {m['journal']:,}): {m['rss_mb']} MB"
            f" (at start {m['rss_start_mb']} MB)"
        )
    if "callbacks" in results:
        c = results["callbacks"]
        print(
            f"callbacks: {c['reports_per_s']:,.0f} reports/s, lost {c['lost']}, doubled {c['doubled']}"
            f" ({c['messages']:,} messages)"
        )
    if "burst" in results:
        b = results["burst"]
        print(
            "10,000-message burst journaled and delivered (callbacks received):"
            f" {b['burst_seconds']} s, lost {b['lost']}"
        )
    if "delay" in results:
        d = results["delay"]
        overflows = "" if d["listen_overflows"] is None else f"; listen queue overflows {d['listen_overflows']}"
        print(
            f"500 concurrent requests delayed 50 ms: {d['burst_seconds']} s in all (slowest {d['burst_slowest_s']} s,"
            f" {d['burst_over_1s']} took >= 1 s); {d['rps_at_500']:,} req/s at 500 connections"
            f" (p99 {d['p99_ms']} ms, max {d['max_ms']} ms){overflows}"
        )


if __name__ == "__main__":
    sys.exit(main())
