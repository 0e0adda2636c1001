"""A/B: the CPU per request of the mock from several checkouts, against the ceiling, in one run.

    python benchmarks/ab.py SendSMS /path/to/old-checkout .          # 3 rounds
    ROUNDS=5 python benchmarks/ab.py "ANTS send" ../before .

Starts one mock per checkout (each from its own directory, first on its ``PYTHONPATH``: the
``root`` of :func:`run.mock_server`) and the ceiling, then drives each in turn with the same load
(``run.drive``, wrk or loadgen on the other CPU), ``ROUNDS`` times, and prints per server the
median CPU per request (utime+stime from its ``/proc``) and its ratio to the ceiling's. Taking
turns in one run is what makes two versions comparable on a shared machine, where the ceiling
alone moves by a third between minutes. The operation is a substring of a workload's name
(``run.workloads``); each mock is reset before each turn.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402


def main(operation: str, roots: list[str]) -> None:
    config = run.bench_config()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        json.dump(config, f)  # JSON is YAML
    work = next(w for w in run.workloads(config, 40_000) if operation in w.name)
    servers: dict[str, run.Server] = {}
    try:
        for root in roots:
            servers[root] = run.mock_server(f.name, root=Path(root).resolve())
        servers["ceiling"] = run.ceiling_server()
        cpu: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(int(os.environ.get("ROUNDS", "3"))):
            for name, server in servers.items():
                if name != "ceiling":
                    run.post(server.base + "/_mock/reset")
                run.drive(server.base, work, 64, 1)  # warm-up
                before = server.cpu_seconds()
                got = run.drive(server.base, work, 64, 3)
                cpu[name].append(1e6 * (server.cpu_seconds() - before) / got["requests"])
        ceiling = statistics.median(cpu["ceiling"])
        print(f"{work.name}, 64 connections")
        for name, values in cpu.items():
            median = statistics.median(values)
            rounds = [round(v) for v in values]
            print(f"  {name:<30} {median:7.1f} us/request  x{median / ceiling:.2f}  rounds {rounds}")
    finally:
        for server in servers.values():
            server.stop()
        os.unlink(f.name)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
