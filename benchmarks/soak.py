"""The soak: sustained load for minutes, to show that the journal cap holds and memory stays flat.

    python benchmarks/soak.py                    # 10 minutes at the default cap (100,000)
    python benchmarks/soak.py --minutes 1 --every 5 --journal-size 1000

Starts ``mockserver serve`` with the benchmark config (``benchmarks/run.py``: balances and rate
limits no load exhausts) and drives it for the whole run from a separate process (wrk, else
``benchmarks/loadgen.py``), one slice of ``--every`` seconds per operation, rotating through the
workloads of every vendor (``run.sources``: each vendor's ``load_sends``). Each slice sends requests
never sent before (the next range of its source), so that no vendor refuses a repeat (FPT and
Voice OTP do, within 5 minutes).
After each slice it samples requests and errors so far, the server's RSS and the journal's sizes
from ``GET /_mock/health``, and checks the last requests the mock journaled for vendor-level
errors (vendors that answer errors with 200).

At about 4,000 requests/s the default journal (100,000 messages) is full within the first
minute; the rest of the run is at the cap. FPT and Voice OTP remember what was sent for 5
minutes (their repeat rules), so RSS still rises until then; over the second half of a 10-minute
run it must stay flat, and the summary gives that growth. The run holds when no journal count (messages,
requests, callbacks, the latest OTP per phone) ever exceeded the cap and there were no errors: exit status 0, else 1.
Writes every figure as JSON (``--json``, default ``benchmarks/soak.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import bench_config, drive, get, machine, mock_server, sources  # noqa: E402

CAPPED = ("messages", "requests", "callbacks", "otps")  # the tables ``journal_size`` bounds
CHECKED = 1000  # the newest journaled requests checked for vendor errors after each slice
FIRST_GUESS_RPS = 8_000  # fresh requests prepared for an operation's first slice, per second


class Fresh:
    """Requests never sent before, per operation: each slice gets the next range, sized from
    the fastest slice seen so far, with room to spare (wrk wraps around a pool it exhausts,
    and a repeated request is a vendor error at FPT and Voice OTP)."""

    def __init__(self, config: dict[str, Any], connections: int) -> None:
        self.sources = sources(config)
        self.connections = connections
        self.next = [0] * len(self.sources)
        self.best_rps = [float(FIRST_GUESS_RPS)] * len(self.sources)

    def slice(self, index: int, seconds: int):
        source = self.sources[index]
        count = source.size or int(self.best_rps[index] * seconds * 1.5) + self.connections
        return source.workload(self.next[index], count)

    def used(self, index: int, got: dict[str, float]) -> None:
        """Requests in flight when the load stopped were sent too, but not counted."""
        self.next[index] += int(got["requests"]) + self.connections
        self.best_rps[index] = max(self.best_rps[index], got["requests"] / max(got["seconds"], 1e-9))


def vendor_errors(base: str, limit: int) -> tuple[int, int]:
    """(checked, answered with a vendor error) among the newest ``limit`` journaled requests."""
    entries = json.loads(get(f"{base}/_mock/requests?limit={limit}", timeout=30))["requests"]
    return len(entries), sum(1 for e in entries if e["outcome"] != "ok")


def soak(config_path: str, args: argparse.Namespace, config: dict[str, Any]) -> dict[str, Any]:
    extra = ["--journal-size", str(args.journal_size)] if args.journal_size is not None else []
    server = mock_server(config_path, *extra)
    try:
        fresh = Fresh(config, args.connections)
        health = json.loads(get(server.base + "/_mock/health"))
        cap = health["journal_size"]
        rss_start = server.rss_mb()
        print(
            f"soak: {args.minutes:g} min, {args.every} s slices, {args.connections} connections,"
            f" journal cap {cap:,}, RSS at start {rss_start:.1f} MB",
            flush=True,
        )
        print(
            f"{'t s':>6} {'operation':<22} {'requests':>10} {'req/s':>7} {'errors':>6} {'RSS MB':>7} "
            + " ".join(f"{k:>9}" for k in CAPPED),
            flush=True,
        )
        samples: list[dict[str, Any]] = []
        requests = errors = checked = refused = 0
        busy = 0.0
        started = time.perf_counter()
        end = started + args.minutes * 60
        index = 0
        while (left := end - time.perf_counter()) >= 0.5:
            seconds = max(1, min(args.every, round(left)))  # wrk takes whole seconds
            source = index % len(fresh.sources)
            work = fresh.slice(source, seconds)
            got = drive(server.base, work, args.connections, seconds)
            fresh.used(source, got)
            index += 1
            requests += int(got["requests"])
            errors += int(got["errors"])
            busy += got["seconds"]
            n, bad = vendor_errors(server.base, min(CHECKED, cap))
            checked += n
            refused += bad
            health = json.loads(get(server.base + "/_mock/health"))
            sample = {
                "t_s": round(time.perf_counter() - started, 1),
                "operation": work.name,
                "requests": requests,
                "rps": round(got["requests"] / max(got["seconds"], 1e-9)),
                "p99_ms": round(got["p99_ms"], 2),
                "errors": errors,
                "vendor_errors": refused,
                "rss_mb": round(server.rss_mb(), 1),
                "journal": {k: health[k] for k in (*CAPPED, "dropped_messages")},
            }
            samples.append(sample)
            print(
                f"{sample['t_s']:>6.1f} {work.name:<22} {requests:>10,} {sample['rps']:>7,}"
                f" {errors + refused:>6} {sample['rss_mb']:>7.1f} "
                + " ".join(f"{sample['journal'][k]:>9,}" for k in CAPPED),
                flush=True,
            )
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    return summarize(samples, cap, rss_start, elapsed, busy, checked, args)


def summarize(
    samples: list[dict[str, Any]],
    cap: int,
    rss_start: float,
    elapsed: float,
    busy: float,
    checked: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    last = samples[-1] if samples else {"requests": 0, "errors": 0, "vendor_errors": 0, "rss_mb": rss_start}
    rss = [s["rss_mb"] for s in samples] or [rss_start]
    # Second half: from the first sample at or past half the run to the last one.
    half = next((s for s in samples if s["t_s"] >= elapsed / 2), last)
    full = next((s for s in samples if s["journal"]["messages"] >= cap), None)
    peaks = {k: max((s["journal"][k] for s in samples), default=0) for k in CAPPED}
    capped_ok = all(peaks[k] <= cap for k in CAPPED)
    errors = last["errors"] + last["vendor_errors"]
    return {
        "machine": machine(),
        "minutes": args.minutes,
        "every_s": args.every,
        "connections": args.connections,
        "journal_size": cap,
        "seconds": round(elapsed, 1),
        "load_seconds": round(busy, 1),  # time under load (the rest: preparing requests, sampling)
        "requests": last["requests"],
        "rps": round(last["requests"] / elapsed) if elapsed else 0,
        "errors": last["errors"],  # transport errors and non-2xx statuses
        "vendor_errors": last["vendor_errors"],  # among the requests checked
        "requests_checked_for_vendor_errors": checked,
        "journal_max": peaks,
        "journal_full_at_s": full["t_s"] if full else None,
        "rss_mb": {
            "start": round(rss_start, 1),
            "first_sample": rss[0],
            "peak": max(rss),
            "end": rss[-1],
            "second_half_from_s": half["t_s"],
            "second_half_growth": round(last["rss_mb"] - half["rss_mb"], 1),
        },
        "holds": bool(samples) and capped_ok and errors == 0 and last["requests"] > 0,
        "samples": samples,
    }


def report(result: dict[str, Any]) -> None:
    cap, rss, peaks = result["journal_size"], result["rss_mb"], result["journal_max"]
    print()
    print(
        f"requests       {result['requests']:,} in {result['seconds']} s"
        f" ({result['rps']:,} req/s; {result['load_seconds']} s under load)"
    )
    print(
        f"errors         {result['errors']} transport/non-2xx, {result['vendor_errors']} vendor errors"
        f" among {result['requests_checked_for_vendor_errors']:,} requests checked"
    )
    print("journal max    " + ", ".join(f"{k} {peaks[k]:,}" for k in CAPPED) + f" (cap {cap:,})")
    full = result["journal_full_at_s"]
    when = f"at {full} s" if full is not None else "never (raise --minutes or lower --journal-size)"
    print(f"journal full   {when}")
    print(
        f"RSS MB         start {rss['start']}, first sample {rss['first_sample']}, peak {rss['peak']}, end {rss['end']}"
    )
    print(
        f"RSS growth     {rss['second_half_growth']:+.1f} MB over the second half (from {rss['second_half_from_s']} s)"
    )
    print(f"holds          {'yes' if result['holds'] else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the run (default 10)")
    parser.add_argument(
        "--every", type=int, default=10, help="seconds per load slice, one sample after each (default 10)"
    )
    parser.add_argument(
        "--journal-size", type=int, default=None, help="passed to `serve` (default: the server's, 100000)"
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--json", default=str(HERE / "soak.json"), help="where to write the figures")
    args = parser.parse_args()
    if (
        args.minutes <= 0
        or args.every < 1
        or args.connections < 1
        or (args.journal_size is not None and args.journal_size < 1)
    ):
        parser.error("--minutes must be > 0, --every, --connections and --journal-size >= 1")
    config = bench_config()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        json.dump(config, f)  # JSON is YAML
    try:
        result = soak(f.name, args, config)
    finally:
        os.unlink(f.name)
    report(result)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {args.json}")
    return 0 if result["holds"] else 1


if __name__ == "__main__":
    sys.exit(main())
