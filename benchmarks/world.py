"""The memory of one world at its caps: what one namespace costs when its journals are full.

    python benchmarks/world.py                       # the default cap (journal_size 100,000)
    python benchmarks/world.py --journal-size 10000  # a smaller cap, a quicker run

Starts ``mockserver serve`` with the benchmark config (``benchmarks/run.py``: balances and rate
limits no load exhausts; the server pinned to CPU 0) and samples its RSS, then fills it in two
steps, sampling RSS and ``GET /_mock/health`` after each:

1. ``sendsms``: ``journal_size`` single-recipient sends of the first operation (SmartSMSBulk
   SendSMS: one request, one message each), so that the message journal and the request journal
   are both at the cap;
2. ``every operation``: ``journal_size`` more fresh requests of every other single-request
   operation of the benchmark (``run.sources``, the 500-recipient bulk send left out: it adds no
   table the others do not fill), so that also each vendor's own capped tables (the recent sends
   FPT and Voice OTP check for repeats) are full: every table the load reaches at once.

Requests are never repeated (each operation's next range, as ``benchmarks/soak.py`` does) and
sent by ``--concurrency`` connections from this process. After each step it waits for every
message's lifecycle to end (no timers left) and for the server's own full garbage collection,
which runs once it has been quiet for 5 s (``mockserver/core/tuning.py``), before sampling: the
figure is what the world holds, not garbage not yet collected.
The difference between the start and the end is one world's memory at its caps; the start is
the process (interpreter, aiohttp, the vendors) with one empty world.

Prints a table and writes JSON (``--json``, default ``benchmarks/world.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Server, Source, bench_config, get, machine, mock_server, sources  # noqa: E402

CAPPED = ("messages", "requests", "callbacks", "otps")  # the tables ``journal_size`` bounds (health)
SETTLE_S = 12.0  # past delivery.final_after (1 s) and two quiet checks of the GC timer (5 s each)


async def _send(base: str, source: Source, start: int, count: int, concurrency: int) -> tuple[int, int]:
    """``count`` fresh requests of ``source`` from ``start``; returns (sent, failed)."""
    import aiohttp

    work = source.workload(start, count)
    bodies = [b.encode() for b in work.bodies]
    queue = iter(range(count))
    failed = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def worker() -> None:
            nonlocal failed
            for n in queue:
                async with http.request(work.method, base + work.path, data=bodies[n], headers=work.headers) as resp:
                    await resp.read()
                    failed += resp.status >= 300

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count, failed


def vendor_errors(base: str) -> int:
    """Journaled requests the mock answered with a vendor error (many vendors answer those with 200)."""
    data = json.loads(get(f"{base}/_mock/requests?limit=1000000", timeout=120))
    return sum(1 for r in data["requests"] if r["outcome"] != "ok")


def sample(server: Server, label: str, seconds: float, sent: int, failed: int) -> dict[str, Any]:
    time.sleep(SETTLE_S)
    rss = server.rss_mb()
    health = json.loads(get(server.base + "/_mock/health", timeout=60))
    return {
        "step": label,
        "seconds": round(seconds, 1),
        "requests_sent": sent,
        "failed": failed,
        "rss_mb": round(rss, 1),
        "journal": {k: health.get(k) for k in CAPPED},
    }


def fill(config_path: str, journal_size: int | None, concurrency: int, config: dict[str, Any]) -> dict[str, Any]:
    extra = ["--journal-size", str(journal_size)] if journal_size is not None else []
    server = mock_server(config_path, *extra)
    try:
        cap = json.loads(get(server.base + "/_mock/health"))["journal_size"]
        # Single-request operations (no fixed pool), SmartSMSBulk SendSMS first.
        found = sorted((s for s in sources(config) if s.size is None), key=lambda s: s.vendor != "smartsmsbulk")
        time.sleep(SETTLE_S)
        steps = [{"step": "start (one empty world)", "rss_mb": round(server.rss_mb(), 1)}]
        print(f"world: cap {cap:,}; RSS at start {steps[0]['rss_mb']} MB", flush=True)
        started = time.perf_counter()
        sent, failed = asyncio.run(_send(server.base, found[0], 0, cap, concurrency))
        steps.append(sample(server, found[0].name, time.perf_counter() - started, sent, failed))
        print(f"  {steps[-1]}", flush=True)
        started = time.perf_counter()
        sent = failed = 0
        for source in found[1:]:
            s, f = asyncio.run(_send(server.base, source, 0, cap, concurrency))
            sent, failed = sent + s, failed + f
        steps.append(sample(server, "every operation", time.perf_counter() - started, sent, failed))
        print(f"  {steps[-1]}", flush=True)
        errors = vendor_errors(server.base)
    finally:
        server.stop()
    return {
        "machine": machine(),
        "journal_size": cap,
        "operations": [s.name for s in found],
        "steps": steps,
        "vendor_errors_in_journal": errors,
        "world_mb": {
            "sendsms": round(steps[1]["rss_mb"] - steps[0]["rss_mb"], 1),
            "every_operation": round(steps[2]["rss_mb"] - steps[0]["rss_mb"], 1),
        },
    }


def report(result: dict[str, Any]) -> None:
    print()
    print(f"| step | requests sent | RSS MB | {' | '.join(CAPPED)} |")
    print("|---|---:|---:|" + "---:|" * len(CAPPED))
    for step in result["steps"]:
        journal = step.get("journal") or {}
        counts = " | ".join(f"{journal[k]:,}" if journal.get(k) is not None else "-" for k in CAPPED)
        sent = f"{step['requests_sent']:,}" if "requests_sent" in step else "-"
        print(f"| {step['step']} | {sent} | {step['rss_mb']} | {counts} |")
    world = result["world_mb"]
    print(
        f"\none world at cap {result['journal_size']:,}: +{world['sendsms']} MB (messages and requests full),"
        f" +{world['every_operation']} MB (every table the load reaches full);"
        f" vendor errors in the journal: {result['vendor_errors_in_journal']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--journal-size", type=int, default=None, help="passed to `serve` (default: the server's, 100000)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="connections sending at once (default 32)")
    parser.add_argument("--json", default=str(HERE / "world.json"), help="where to write the figures")
    args = parser.parse_args()
    if args.concurrency < 1 or (args.journal_size is not None and args.journal_size < 1):
        parser.error("--concurrency and --journal-size must be >= 1")
    config = bench_config()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        json.dump(config, f)  # JSON is YAML
    try:
        result = fill(f.name, args.journal_size, args.concurrency, config)
    finally:
        os.unlink(f.name)
    report(result)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {args.json}")
    bad = result["vendor_errors_in_journal"] or any(s.get("failed") for s in result["steps"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
