"""WireMock side by side: the mock, the ceiling and WireMock standalone answering the same
SmartSMSBulk SendSMS load, in one run.

    python benchmarks/wiremock.py --jar ~/wiremock-standalone-3.13.2.jar
    WIREMOCK_JAR=/path/to/wiremock-standalone-3.13.2.jar python benchmarks/wiremock.py

WireMock is not shipped here (a 20 MB jar): get ``org.wiremock:wiremock-standalone:3.x`` from
Maven Central, or from the npm package that bundles it (``npm pack wiremock@3.13.2``, then
``package/build/wiremock-standalone-3.13.2.jar`` in the tarball), and name it with ``--jar`` or
``WIREMOCK_JAR``. Without java or the jar the script says so and exits 0 (skipped).

WireMock gets one static stub: the mock's own answer to the first request of the load (status,
Content-Type, body: SmartSMSBulk's success), matched on method and path, with its request journal
capped as the mock's is (``--max-request-journal-entries``, the mock's ``journal_size``). So
WireMock does less than the mock (no checksum, no account, no lifecycle) and more than the
ceiling (request matching, a journal). Every server is pinned to CPU 0 and the load (wrk) to
CPU 1, as in ``benchmarks/run.py``, whose helpers this reuses; the JVM first gets ``--warmup``
seconds of load for its JIT. Then ceiling, mock and WireMock take turns, ``--rounds`` times, and
the table gives per server the CPU per request (utime+stime of its process from /proc, all JVM
threads included: JIT and GC too), requests/s of the totals and the median p99.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import (  # noqa: E402
    DELAY_VENDOR,
    FAILED_RUNS,
    Server,
    Workload,
    bench_config,
    ceiling_server,
    checked,
    cpu_drive,
    cpu_us,
    drive,
    free_port,
    get,
    mock_server,
    post,
    workloads,
)

JAR_ENV = "WIREMOCK_JAR"


def sample_answer(mock: Server, work: Workload) -> tuple[int, str, str]:
    """(status, Content-Type, body) of the mock's answer to the load's first request."""
    request = urllib.request.Request(
        mock.base + work.path, data=work.bodies[0].encode(), method=work.method, headers=work.headers
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.status, resp.headers["Content-Type"], resp.read().decode()


def wiremock_server(jar: Path, work: Workload, answer: tuple[int, str, str], root: Path, journal: int) -> Server:
    """WireMock standalone on a free port with one stub answering ``answer`` to ``work``'s
    method and path, ready once ``/__admin/health`` answers."""
    status, content_type, body = answer
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    stub = {
        "request": {"method": work.method, "urlPath": work.path},
        "response": {"status": status, "headers": {"Content-Type": content_type}, "body": body},
    }
    (root / "mappings" / "send.json").write_text(json.dumps(stub))
    port = free_port()
    command = [
        shutil.which("java") or "java",
        "-jar",
        str(jar),
        "--port",
        str(port),
        "--bind-address",
        "127.0.0.1",
        "--root-dir",
        str(root),
        "--disable-banner",
        "--max-request-journal-entries",
        str(journal),
    ]
    return Server(command, port, "/__admin/health", root=HERE.parent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jar", default=os.environ.get(JAR_ENV), help=f"the standalone jar (default ${JAR_ENV})")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=25, help="seconds of load to warm WireMock's JIT")
    parser.add_argument("--seconds", type=float, default=5, help="per measured run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="where to write the figures")
    args = parser.parse_args()
    if shutil.which("java") is None:
        print("skipped: no java on PATH (WireMock needs Java 11 or later)")
        return 0
    if not args.jar or not Path(args.jar).is_file():
        print(f"skipped: no WireMock jar (--jar PATH or ${JAR_ENV}; see this script's --help for where to get it)")
        return 0
    config = bench_config()
    work = next(w for w in workloads(config, 100_000) if w.vendor == DELAY_VENDOR)
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp, "bench.yaml")
        config_path.write_text(json.dumps(config))  # JSON is YAML
        servers: dict[str, Server] = {}
        try:
            servers["ceiling"] = ceiling_server()
            mock = servers["mock"] = mock_server(str(config_path))
            answer = sample_answer(mock, work)
            journal = json.loads(get(mock.base + "/_mock/health"))["journal_size"]
            servers["WireMock"] = wiremock_server(Path(args.jar), work, answer, Path(tmp, "wiremock"), journal)
            print(f"WireMock ready after {servers['WireMock'].ready_after:.1f} s; warming its JIT {args.warmup:g} s")
            drive(servers["WireMock"].base, work, args.connections, args.warmup)
            for server in servers.values():
                drive(server.base, work, args.connections, 2)
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
            for n in range(args.rounds):
                for name, server in servers.items():
                    if server is mock:
                        post(mock.base + "/_mock/reset")
                        label = f"mock, round {n + 1}"
                        load = (mock, work, args.connections, args.seconds)
                        got = checked(label, mock.base, work.vendor, cpu_drive, *load)
                    else:
                        got = cpu_drive(server, work, args.connections, args.seconds)
                    runs[name].append(got)
                    print(f"  round {n + 1} {name:<9} {got['requests'] / got['seconds']:8,.0f} req/s", flush=True)
            rows = [row(name, got) for name, got in runs.items()]
        finally:
            for server in servers.values():
                server.stop()
    ceiling_cpu = rows[0]["cpu_us"]
    print(f"\nSmartSMSBulk SendSMS, {args.connections} connections, {args.rounds} rounds of {args.seconds:g} s each")
    print(f"| {'server':<9} | {'CPU us/request':>14} | {'x ceiling':>9} | {'req/s':>8} | {'p99 ms':>7} | errors |")
    print(f"|{'-' * 11}|{'-' * 16}|{'-' * 11}|{'-' * 10}|{'-' * 9}|{'-' * 8}|")
    for r in rows:
        r["cpu_ratio"] = round(r["cpu_us"] / ceiling_cpu, 2) if ceiling_cpu else None
        print(
            f"| {r['server']:<9} | {r['cpu_us']:>14.0f} | {r['cpu_ratio']:>9.2f} | {r['rps']:>8,} | {r['p99_ms']:>7.2f}"
            f" | {r['errors']:>6} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"connections": args.connections, "rows": rows}, indent=2) + "\n")
    if FAILED_RUNS:
        print("\nFAILED: " + "; ".join(FAILED_RUNS), file=sys.stderr)
        return 1
    return 0


def row(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's figures over its rounds: CPU per request and req/s of the totals, median p99;
    errors are the load generator's (and, for the mock, its own outcome counter's)."""
    return {
        "server": name,
        "cpu_us": round(cpu_us(runs), 1),
        "rps": round(sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs)),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
        "p99_ms_rounds": [round(r["p99_ms"], 2) for r in runs],
        "errors": sum(int(r["errors"]) for r in runs),
    }


if __name__ == "__main__":
    sys.exit(main())
