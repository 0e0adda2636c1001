"""A small closed-loop HTTP load generator, used by ``benchmarks/run.py`` when wrk is absent.

Reads a JSON job on stdin: ``{"url", "method", "headers", "bodies": [str...], "connections",
"duration"}``; ``connections`` workers each send one request at a time, cycling through
``bodies``, for ``duration`` seconds; prints ``{"requests", "seconds", "errors", "p50_ms",
"p99_ms", "max_ms"}`` (errors: connection errors and non-2xx statuses; ``run.py`` then checks
the others against the mock's own count of successes).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp


async def run(job: dict) -> dict:
    bodies = [b.encode("utf-8") for b in job["bodies"]]
    headers = job["headers"]
    url, method = job["url"], job["method"]
    latencies: list[float] = []
    errors = 0
    counter = 0
    deadline = time.perf_counter() + job["duration"]
    connector = aiohttp.TCPConnector(limit=job["connections"])
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal errors, counter
            while time.perf_counter() < deadline:
                body = bodies[counter % len(bodies)]
                counter += 1
                started = time.perf_counter()
                try:
                    async with http.request(method, url, data=body, headers=headers) as resp:
                        await resp.read()
                        if resp.status >= 300:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(job["connections"])))
        seconds = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0  # noqa: E731
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "errors": errors,
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
        "max_ms": latencies[-1] if latencies else 0.0,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.load(sys.stdin)))))
