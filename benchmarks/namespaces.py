"""What namespaces cost a request: SmartSMSBulk SendSMS on the default path of this checkout, on
the default path of a checkout from before namespaces, and on a namespace's path.

    git worktree add /work/wt/nsbase 497c3da     # the commit before namespaces
    python benchmarks/namespaces.py --baseline /work/wt/nsbase
    python benchmarks/namespaces.py --baseline /work/wt/nsbase --rounds 7 --seconds 5

Three servers run at once, each ``mockserver serve --quiet --seed 1`` with the benchmark config
of its own checkout (``benchmarks/run.py``'s ``bench_config``: balances and rate limits no load
exhausts), all pinned to CPU 0; the baseline one runs from ``--baseline`` (its working
directory, first on its ``PYTHONPATH``):

* ``default``: ``/smartsmsbulk/api/v2/SendSMS`` on this checkout;
* ``baseline``: the same path on the baseline checkout;
* ``namespaced``: ``/ns/bench/smartsmsbulk/api/v2/SendSMS`` on this checkout (the namespace is
  created by the warm-up; it keeps the default ``namespaces.journal_size``, 5,000, where the
  default world keeps 100,000).

The load is the same for each: the same distinct request bodies (``run.sources``), from one
process pinned to CPU 1 (wrk when installed, else ``benchmarks/loadgen.py``), ``--connections``
connections for ``--seconds`` per round. The servers take turns, ``--rounds`` times, in an
order that rotates each round, so that a slow moment of the shared machine hits all of them;
each is reset (its ``/_mock/reset``) before its turn. The figure that counts is the server's CPU
time per request served (utime + stime from ``/proc/<pid>/stat`` over the round, divided by the
requests the load generator counted): other load on CPU 0 slows a server's requests/s, not much
its CPU time per request. Requests/s are reported as well.

Prints medians with min-max per server, the ratios of the medians and the median (min-max) of
the ratios round by round (the turns of one round are seconds apart); writes JSON (``--json``,
default ``benchmarks/namespaces.json``). The target: ``default`` within 3% of ``baseline``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import ROOT, Server, Workload, drive, get, machine, mock_server, post, sources  # noqa: E402

NAMESPACE = "bench"
OPERATION = "SmartSMSBulk SendSMS"
POOL = 50_000  # distinct requests the load cycles through
TARGET = 0.03  # default within 3% of the baseline


def config_of(root: Path) -> dict[str, Any]:
    """``bench_config()`` as the checkout at ``root`` builds it (its own vendors and schema)."""
    code = "import json, sys; sys.path.insert(0, 'benchmarks'); import run; print(json.dumps(run.bench_config()))"
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def requests_failed(server: Server, prefix: str) -> int:
    """Journaled requests answered with a vendor error (SmartSMSBulk answers those with 200)."""
    data = json.loads(get(f"{server.base}{prefix}/_mock/requests?limit=1000000", timeout=60))
    return sum(1 for r in data["requests"] if r["outcome"] != "ok")


class Side:
    def __init__(self, name: str, server: Server, work: Workload, prefix: str = "") -> None:
        self.name, self.server, self.prefix = name, server, prefix
        self.work = Workload(work.name, work.method, prefix + work.path, work.headers, work.bodies, work.vendor)
        self.rounds: list[dict[str, Any]] = []

    def reset(self) -> None:
        post(f"{self.server.base}{self.prefix}/_mock/reset")

    def round(self, connections: int, seconds: float) -> dict[str, Any]:
        self.reset()
        cpu = self.server.cpu_seconds()
        got = drive(self.server.base, self.work, connections, seconds)
        used = self.server.cpu_seconds() - cpu
        errors = got["errors"] + requests_failed(self.server, self.prefix)
        row = {
            "requests": got["requests"],
            "seconds": round(got["seconds"], 3),
            "rps": round(got["requests"] / got["seconds"]),
            "cpu_s": round(used, 2),
            "cpu_us_per_request": round(used / got["requests"] * 1e6, 1),
            "p50_ms": round(got["p50_ms"], 2),
            "p99_ms": round(got["p99_ms"], 2),
            "errors": errors,
        }
        self.rounds.append(row)
        return row

    def summary(self) -> dict[str, Any]:
        def spread(key: str) -> dict[str, float]:
            values = [r[key] for r in self.rounds]
            return {"median": round(statistics.median(values), 1), "min": min(values), "max": max(values)}

        return {
            "cpu_us_per_request": spread("cpu_us_per_request"),
            "rps": spread("rps"),
            "p99_ms": spread("p99_ms"),
            "errors": sum(r["errors"] for r in self.rounds),
            "rounds": self.rounds,
        }


def measure(baseline: Path, rounds: int, seconds: float, connections: int) -> dict[str, Any]:
    configs = {"here": config_of(ROOT), "baseline": config_of(baseline)}
    paths: dict[str, str] = {}
    for key, config in configs.items():
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            json.dump(config, f)  # JSON is YAML
        paths[key] = f.name
    source = next(s for s in sources(configs["here"]) if s.name == OPERATION)
    work = source.workload(0, POOL)
    servers: list[Server] = []
    try:
        servers.append(mock_server(paths["here"]))
        servers.append(mock_server(paths["baseline"], root=baseline))
        servers.append(mock_server(paths["here"]))
        sides = [
            Side("default", servers[0], work),
            Side("baseline", servers[1], work),
            Side("namespaced", servers[2], work, prefix=f"/ns/{NAMESPACE}"),
        ]
        for side in sides:  # warm-up: first use of every code path (and the namespace's creation)
            drive(side.server.base, side.work, connections, 2)
        for n in range(rounds):
            order = sides[n % len(sides) :] + sides[: n % len(sides)]
            for side in order:
                row = side.round(connections, seconds)
                print(
                    f"  round {n + 1} {side.name:<10} {row['cpu_us_per_request']:7.1f} us/request"
                    f" {row['rps']:7,} req/s  p99 {row['p99_ms']:6.2f} ms  errors {row['errors']}",
                    flush=True,
                )
    finally:
        for server in servers:
            server.stop()
        for path in paths.values():
            os.unlink(path)
    result = {side.name: side.summary() for side in sides}
    cpu = {name: result[name]["cpu_us_per_request"]["median"] for name in result}
    rps = {name: result[name]["rps"]["median"] for name in result}

    def paired(a: str, b: str) -> dict[str, float]:
        # Round by round: the two turns of a round are a few seconds apart, so the machine's drift
        # (which moves the CPU time per request too) cancels better than in the medians' ratio.
        ratios = [
            x["cpu_us_per_request"] / y["cpu_us_per_request"]
            for x, y in zip(result[a]["rounds"], result[b]["rounds"], strict=True)
        ]
        low, high = min(ratios), max(ratios)
        return {"median": round(statistics.median(ratios), 3), "min": round(low, 3), "max": round(high, 3)}

    return {
        "machine": machine(),
        "operation": OPERATION,
        "baseline": str(baseline),
        "baseline_commit": subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=baseline, capture_output=True, text=True
        ).stdout.strip(),
        "commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
        "rounds": rounds,
        "seconds": seconds,
        "connections": connections,
        "servers": result,
        "cpu_ratio": {
            "default_vs_baseline": round(cpu["default"] / cpu["baseline"], 3),
            "namespaced_vs_default": round(cpu["namespaced"] / cpu["default"], 3),
        },
        "cpu_ratio_per_round": {
            "default_vs_baseline": paired("default", "baseline"),
            "namespaced_vs_default": paired("namespaced", "default"),
        },
        "rps_ratio": {
            "default_vs_baseline": round(rps["default"] / rps["baseline"], 3),
            "namespaced_vs_default": round(rps["namespaced"] / rps["default"], 3),
        },
    }


def report(result: dict[str, Any]) -> None:
    print()
    print("| server | CPU us/request, median (min-max) | req/s, median (min-max) | p99 ms, median | errors |")
    print("|---|---:|---:|---:|---:|")
    for name, s in result["servers"].items():
        c, r = s["cpu_us_per_request"], s["rps"]
        print(
            f"| {name} | {c['median']} ({c['min']}-{c['max']}) | {r['median']:,.0f} ({r['min']:,}-{r['max']:,})"
            f" | {s['p99_ms']['median']} | {s['errors']} |"
        )
    cpu, rps = result["cpu_ratio"], result["rps_ratio"]
    verdict = "within" if cpu["default_vs_baseline"] <= 1 + TARGET else "NOT within"
    print(
        f"\ndefault / baseline: CPU per request x{cpu['default_vs_baseline']}, req/s x{rps['default_vs_baseline']}"
        f" ({verdict} {TARGET:.0%} in CPU per request)"
    )
    print(
        f"namespaced / default: CPU per request x{cpu['namespaced_vs_default']}, req/s x{rps['namespaced_vs_default']}"
    )
    for key, pair in result["cpu_ratio_per_round"].items():
        print(
            f"CPU per request, {key.replace('_vs_', ' / ')} round by round: median x{pair['median']}"
            f" (x{pair['min']}-x{pair['max']})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout from before namespaces")
    parser.add_argument("--rounds", type=int, default=5, help="turns per server (default 5)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one turn (default 5)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--json", default=str(HERE / "namespaces.json"), help="where to write the figures")
    args = parser.parse_args()
    if not (args.baseline / "mockserver").is_dir():
        parser.error(f"--baseline {args.baseline}: no mockserver/ there")
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds must be >= 1 and --seconds > 0")
    print("machine:", machine(), flush=True)
    result = measure(args.baseline.resolve(), args.rounds, args.seconds, args.connections)
    report(result)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {args.json}")
    return 1 if any(s["errors"] for s in result["servers"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
