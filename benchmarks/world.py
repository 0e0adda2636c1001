"""The memory of one world at its caps: what one namespace costs when its journals are full.

    python benchmarks/world.py                       # the default cap (journal_size 100,000)
    python benchmarks/world.py --journal-size 10000  # a smaller cap, a quicker run
    python benchmarks/world.py --namespaces 32       # 32 namespaces, each full at its cap (5,000)
    python benchmarks/world.py --namespaces 36 --max 32  # and 4 more: eviction frees the oldest

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

With ``--namespaces N`` it fills N namespaces instead of the default world (which stays empty:
its figure is the run without the option). Namespace ``bench-<i>`` gets the same two steps at
``/ns/bench-<i>/...`` (the operation's path behind the prefix), each to the namespace cap
(``namespaces.journal_size`` in the config it passes: ``--ns-journal-size``, default 5,000, the
server's default), and the RSS is sampled once both are done (after the same settling). Up to
``namespaces.max`` (``--max``, default N) that is the cost of one more full namespace; past it
each new namespace evicts the least recently used one, so the RSS must stay about flat there
(after the first eviction: that new world fills while the evicted one waits for the server's
next full collection, so the peak is ``max`` + 1 worlds): an evicted world has to be freed, and
growth past the max is a leak. Prints the per-namespace increase at the cap, the RSS with
``max`` namespaces full and the drift past the max.

Prints a table and writes JSON (``--json``, default ``benchmarks/world.json``, or
``benchmarks/world-namespaces.json`` with ``--namespaces``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
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


async def _send(
    base: str, source: Source, start: int, count: int, concurrency: int, prefix: str = ""
) -> tuple[int, int]:
    """``count`` fresh requests of ``source`` from ``start`` (at ``prefix`` + its path, e.g. a
    namespace's ``/ns/<name>``); returns (sent, failed)."""
    import aiohttp

    work = source.workload(start, count)
    bodies = [b.encode() for b in work.bodies]
    url = base + prefix + work.path
    queue = iter(range(count))
    failed = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def worker() -> None:
            nonlocal failed
            for n in queue:
                async with http.request(work.method, url, data=bodies[n], headers=work.headers) as resp:
                    await resp.read()
                    failed += resp.status >= 300

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count, failed


def vendor_errors(base: str, prefix: str = "") -> int:
    """Journaled requests the mock answered with a vendor error (many vendors answer those with 200)."""
    data = json.loads(get(f"{base}{prefix}/_mock/requests?limit=1000000", timeout=120))
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


def operations(config: dict[str, Any]) -> list[Source]:
    """Single-request operations (no fixed pool), SmartSMSBulk SendSMS first."""
    return sorted((s for s in sources(config) if s.size is None), key=lambda s: s.vendor != "smartsmsbulk")


def fill(config_path: str, journal_size: int | None, concurrency: int, config: dict[str, Any]) -> dict[str, Any]:
    extra = ["--journal-size", str(journal_size)] if journal_size is not None else []
    server = mock_server(config_path, *extra)
    try:
        cap = json.loads(get(server.base + "/_mock/health"))["journal_size"]
        found = operations(config)
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


def fill_namespaces(config_path: str, count: int, concurrency: int, config: dict[str, Any]) -> dict[str, Any]:
    """``count`` namespaces ``bench-<i>``, each filled to the namespace cap in the two steps,
    the RSS sampled after each (see the module docstring)."""
    server = mock_server(config_path)
    try:
        cap, limit = config["namespaces"]["journal_size"], config["namespaces"]["max"]
        found = operations(config)
        time.sleep(SETTLE_S)
        start = round(server.rss_mb(), 1)
        print(f"namespaces: {count}, max {limit}, cap {cap:,} each; RSS at start {start} MB", flush=True)
        rows: list[dict[str, Any]] = []
        errors = 0
        for i in range(count):
            prefix = f"/ns/bench-{i}"
            started = time.perf_counter()
            sent = failed = 0
            for source in found:  # SendSMS first (messages and requests), then every other operation
                s, f = asyncio.run(_send(server.base, source, 0, cap, concurrency, prefix))
                sent, failed = sent + s, failed + f
            seconds = time.perf_counter() - started
            errors += vendor_errors(server.base, prefix)
            health = json.loads(get(f"{server.base}{prefix}/_mock/health", timeout=60))
            time.sleep(SETTLE_S)
            listing = json.loads(get(server.base + "/_mock/namespaces", timeout=60))
            rss = round(server.rss_mb(), 1)
            rows.append(
                {
                    "namespace": f"bench-{i}",
                    "seconds": round(seconds, 1),
                    "requests_sent": sent,
                    "failed": failed,
                    "rss_mb": rss,
                    "increase_mb": round(rss - (rows[-1]["rss_mb"] if rows else start), 1),
                    "journal": {k: health.get(k) for k in CAPPED},
                    "namespaces": listing["count"] - 1,  # besides the default
                    "evicted": listing["evicted"],
                }
            )
            print(f"  {rows[-1]}", flush=True)
    finally:
        server.stop()
    full = min(count, limit)
    at_max = rows[full - 1]["rss_mb"]
    result: dict[str, Any] = {
        "machine": machine(),
        "namespaces": count,
        "max": limit,
        "journal_size": cap,
        "operations": [s.name for s in found],
        "rss_start_mb": start,
        "rows": rows,
        "vendor_errors_in_journal": errors,
        "per_namespace_mb": round((at_max - start) / full, 1),
        "per_namespace_mb_median": round(statistics.median(r["increase_mb"] for r in rows[:full]), 1),
        "rss_all_full_mb": at_max,
    }
    if count > limit:
        result["past_max"] = {
            "extra_namespaces": count - limit,
            "rss_end_mb": rows[-1]["rss_mb"],
            "drift_mb": round(rows[-1]["rss_mb"] - at_max, 1),
            "drift_per_extra_mb": round((rows[-1]["rss_mb"] - at_max) / (count - limit), 1),
            # The first eviction's new world fills while the evicted one waits for the next full
            # collection (the server runs it once quiet): max + 1 worlds at the peak, flat after.
            "drift_after_first_eviction_mb": round(rows[-1]["rss_mb"] - rows[limit]["rss_mb"], 1),
        }
    return result


def report_namespaces(result: dict[str, Any]) -> None:
    print()
    print(f"| namespace | requests sent | RSS MB | increase MB | namespaces | evicted | {' | '.join(CAPPED)} |")
    print("|---|---:|---:|---:|---:|---:|" + "---:|" * len(CAPPED))
    for row in result["rows"]:
        counts = " | ".join(f"{row['journal'][k]:,}" if row["journal"].get(k) is not None else "-" for k in CAPPED)
        print(
            f"| {row['namespace']} | {row['requests_sent']:,} | {row['rss_mb']} | {row['increase_mb']:+} |"
            f" {row['namespaces']} | {row['evicted']} | {counts} |"
        )
    full = min(result["namespaces"], result["max"])
    print(
        f"\nstart (empty default world): {result['rss_start_mb']} MB; {full} namespaces full at cap"
        f" {result['journal_size']:,}: {result['rss_all_full_mb']} MB;"
        f" +{result['per_namespace_mb']} MB per namespace (mean; median step {result['per_namespace_mb_median']} MB);"
        f" vendor errors in the journals: {result['vendor_errors_in_journal']}"
    )
    past = result.get("past_max")
    if past:
        print(
            f"past the max ({past['extra_namespaces']} more namespaces, each evicting one):"
            f" {past['rss_end_mb']} MB at the end, {past['drift_mb']:+} MB"
            f" ({past['drift_per_extra_mb']:+} MB per extra namespace;"
            f" {past['drift_after_first_eviction_mb']:+} MB after the first, whose new world fills while the"
            " evicted one waits for the next full collection)"
        )


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
    parser.add_argument(
        "--namespaces", type=int, default=0, help="fill this many namespaces instead of the default world"
    )
    parser.add_argument("--max", type=int, default=None, help="namespaces.max (default: --namespaces)")
    parser.add_argument(
        "--ns-journal-size", type=int, default=5000, help="namespaces.journal_size (default 5000, the server's)"
    )
    parser.add_argument(
        "--json",
        default=None,
        help="where to write the figures (default benchmarks/world.json; world-namespaces.json with --namespaces)",
    )
    args = parser.parse_args()
    if args.concurrency < 1 or (args.journal_size is not None and args.journal_size < 1):
        parser.error("--concurrency and --journal-size must be >= 1")
    if args.namespaces < 0 or args.ns_journal_size < 1 or (args.max is not None and args.max < 1):
        parser.error("--namespaces must be >= 0, --max and --ns-journal-size >= 1")
    config = bench_config()
    if args.namespaces:
        config["namespaces"] = {"max": args.max or args.namespaces, "journal_size": args.ns_journal_size}
    json_path = args.json or str(HERE / ("world-namespaces.json" if args.namespaces else "world.json"))
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        json.dump(config, f)  # JSON is YAML
    try:
        if args.namespaces:
            result = fill_namespaces(f.name, args.namespaces, args.concurrency, config)
            report_namespaces(result)
            failed = any(r["failed"] for r in result["rows"])
        else:
            result = fill(f.name, args.journal_size, args.concurrency, config)
            report(result)
            failed = any(s.get("failed") for s in result["steps"])
    finally:
        os.unlink(f.name)
    Path(json_path).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {json_path}")
    return 1 if result["vendor_errors_in_journal"] or failed else 0


if __name__ == "__main__":
    sys.exit(main())
