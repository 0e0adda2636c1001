"""Process-wide tuning for ``mockserver serve`` (never applied to an app embedded in a test
process: the pytest plugin and ``create_app`` leave the host process alone).

Measured with ``benchmarks/run.py`` (SmartSMSBulk SendSMS, 64 connections, 2 cores):

* **GC**: the journal keeps up to ``journal_size`` messages, and a *full* collection walks all
  of them: 100-250 ms with a full journal, and CPython starts one whenever the long-lived
  objects grew by a quarter (every few seconds under load). Those pauses were the p99. So:
  everything alive after start-up (modules, schemas, config) is frozen out of the collector's
  reach; the young generations are collected often and briefly (a few ms at most); and the
  full collection runs on a timer (:func:`collect_periodically`), at most once a minute under
  load and whenever the server has gone quiet, instead of whenever the heuristic fires. The
  request path creates no reference cycles of its own (see
  :mod:`mockserver.http.routing`); what asyncio leaves behind (closed transports) waits for the next
  full collection.
* **Measured pauses** (:mod:`mockserver.core.gcwatch`, ``benchmarks/run.py``'s GC columns; 2
  December 2026, a shared 2-core machine): with these thresholds a young collection still holds
  about 10,000 objects, not 1,000 (what a request has in flight, times the connections, plus
  dicts CPython tracks without counting them as allocations), 5 ms median CPU, up to ~25 ms; the
  middle one ~10 ms, up to ~30-40 ms. Probed in one process at 64 connections (SendSMS, CPU time
  per collection): a young threshold of 300 makes the typical young pause 0.65 ms (p99 2.4 ms)
  but the collector's share of CPU rises from 7 % to 12 %; 3,000 halves that share (3 %) with
  pauses twice as long. 1,000 stays as the middle; no threshold alone brings every pause under
  5 ms: fewer objects per request that the collector tracks would.
* **uvloop**, when installed (``pip install sms-mockserver[speed]``), replaces the asyncio loop.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable

from mockserver.core import gcwatch

# Young collections every 1,000 net allocations, the middle one every 5 of those; the oldest
# generation never by the allocation heuristic (see collect_periodically).
GC_THRESHOLDS = (1_000, 5, 1_000_000_000)
FULL_COLLECTION_EVERY = 60.0  # seconds, at most, under continuous load
QUIET_CHECK_EVERY = 5.0  # seconds between looks at whether the server went quiet


def chosen_loop() -> str:
    """``uvloop`` when it is importable and ``MOCKSERVER_UVLOOP`` is not ``0``, else ``asyncio``:
    what :func:`event_loop_policy` installs (benchmarks report it without installing it)."""
    if os.environ.get("MOCKSERVER_UVLOOP", "1") == "0":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def event_loop_policy() -> str:
    """Install the policy of :func:`chosen_loop`'s loop; returns its name. ``benchmarks/ceiling.py``
    calls it too, so that the ceiling the mock is measured against runs on the same loop."""
    name = chosen_loop()
    if name == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return name


def running_loop_name() -> str:
    """The running loop's implementation, ``asyncio`` or ``uvloop``, from its class (not from
    what is importable): what ``/_mock/health`` reports, so a benchmark can tell what it measured."""
    return type(asyncio.get_running_loop()).__module__.partition(".")[0]


def settle_gc() -> None:
    """Once the server is built: collect, freeze what start-up left, collect the young less often,
    and time every collection from then on (:func:`mockserver.core.gcwatch.watch`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    gcwatch.watch()


async def collect_periodically(activity: Callable[[], int]) -> None:
    """Run the full collection that :data:`GC_THRESHOLDS` keeps from running on its own, once
    requests were served since the last one (``activity()`` counts them): as soon as the server
    has gone quiet (the count did not move for :data:`QUIET_CHECK_EVERY` seconds), and under
    continuous load at the latest every :data:`FULL_COLLECTION_EVERY` seconds. An idle server
    is left alone. Runs until cancelled."""
    loop = asyncio.get_running_loop()
    last_full = loop.time()
    collected_at = seen = activity()
    while True:
        await asyncio.sleep(QUIET_CHECK_EVERY)
        now_seen = activity()
        if now_seen != collected_at and (now_seen == seen or loop.time() - last_full >= FULL_COLLECTION_EVERY):
            gc.collect()
            last_full, collected_at = loop.time(), now_seen
        seen = now_seen
