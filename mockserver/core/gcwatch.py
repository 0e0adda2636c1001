"""How long the cyclic garbage collector stopped the server, per generation.

A collection stops the event loop, so every pause is latency some requests see; the p99 of a
loaded server is often nothing but its GC pauses (see :mod:`mockserver.core.tuning`). CPython
calls each function in ``gc.callbacks`` at the start and at the stop of every collection; the
:class:`GcPauses` hook times the two with ``time.perf_counter`` and keeps, per generation, a
histogram of the pauses, their sum and the longest one: plain integers and floats, about a
microsecond a collection, nothing allocated that the collector would have to look at. It also
keeps the longest pause in CPU time (``time.thread_time``): on a shared machine the wall-clock
pause includes the time the kernel gave the CPU to another process in the middle of a
collection, and the CPU time tells the collector's own work from that.

The hook is process-wide, so it is installed by ``mockserver serve`` (:func:`watch`), not by an
app embedded in a test process (the host's collections are not the mock's). ``/_mock/metrics``
shows it as ``mockserver_gc_pause_seconds`` and ``/_mock/health`` the longest pause, when installed.
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from time import perf_counter, thread_time
from typing import Any

# Upper bounds, seconds: fine below 10 ms (the target is no pause over 5 ms), coarse above.
PAUSE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
GENERATIONS = (0, 1, 2)


class GcPauses:
    """The ``gc.callbacks`` hook: pauses by generation (``counts[gen][i]`` pauses of at most
    ``PAUSE_BUCKETS[i]``, the last slot for longer ones), their sum and maximum, in seconds."""

    def __init__(self) -> None:
        self.counts = [[0] * (len(PAUSE_BUCKETS) + 1) for _ in GENERATIONS]
        self.sums = [0.0 for _ in GENERATIONS]
        self.longest = [0.0 for _ in GENERATIONS]
        self.longest_cpu = [0.0 for _ in GENERATIONS]
        self._started = self._started_cpu = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started, self._started_cpu = perf_counter(), thread_time()
            return
        pause = perf_counter() - self._started
        cpu = thread_time() - self._started_cpu
        generation = info["generation"]
        self.counts[generation][bisect_left(PAUSE_BUCKETS, pause)] += 1
        self.sums[generation] += pause
        if pause > self.longest[generation]:
            self.longest[generation] = pause
        if cpu > self.longest_cpu[generation]:
            self.longest_cpu[generation] = cpu

    def summary(self) -> dict[str, Any]:
        """What ``/_mock/health`` shows: collections and the longest pause (ms; wall clock, and
        CPU time) per generation."""
        return {
            "collections": [sum(c) for c in self.counts],
            "max_pause_ms": [round(s * 1000, 3) for s in self.longest],
            "max_pause_cpu_ms": [round(s * 1000, 3) for s in self.longest_cpu],
        }


_installed: GcPauses | None = None


def watch() -> GcPauses:
    """Install the process's one hook (again: the same one) and return it."""
    global _installed
    if _installed is None:
        _installed = GcPauses()
        gc.callbacks.append(_installed)
    return _installed


def unwatch() -> None:
    """Remove the hook (tests)."""
    global _installed
    if _installed is not None:
        gc.callbacks.remove(_installed)
        _installed = None


def watching() -> GcPauses | None:
    """The installed hook, or None when the process's collections are not watched."""
    return _installed
