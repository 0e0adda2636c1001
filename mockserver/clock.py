"""The one clock that every time-dependent behaviour reads.

Delivery timings, OTP and token expiry, scheduled sends and checksum timestamps all ask this
clock, never ``time.time()``, so that a test can move time forward (``POST /_mock/clock``) and
see everything that became due fire at once, in order, without waiting in real time.

The clock is *virtual time = real time + offset* while it runs, and a fixed instant while it is
frozen. Timers live in one heap; a single driver task sleeps until the earliest one is due and
is woken early whenever the clock is moved.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
HO_CHI_MINH = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")

_DURATION = re.compile(r"^\s*(?P<n>-?\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``: a number of seconds or a string such as ``"1h"``, ``"90s"``, ``"250ms"``.

    Compound strings (``"1h30m"``) are summed part by part.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    parts = re.findall(r"-?\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)?", str(value))
    if not parts or "".join(parts).replace(" ", "") != str(value).replace(" ", ""):
        raise ValueError(f"not a duration: {value!r}")
    total = 0.0
    for part in parts:
        m = _DURATION.match(part)
        if not m:
            raise ValueError(f"not a duration: {value!r}")
        total += float(m["n"]) * _UNIT_SECONDS[m["unit"]]
    return total


class Clock:
    """Virtual wall clock with timers. ``now()`` is Unix seconds (float)."""

    def __init__(self, *, frozen: bool = False, start: float | None = None) -> None:
        real = time.time()
        self._offset = 0.0 if start is None else start - real
        self._frozen_at: float | None = (start if start is not None else real) if frozen else None
        self._timers: list[tuple[float, int, Callable[[], Any]]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    # -- reading -----------------------------------------------------------------------------
    def now(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    def datetime(self, tz: timezone = BANGKOK) -> datetime:
        return datetime.fromtimestamp(self.now(), tz)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    # -- moving ------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds
        self._fire_due()
        self._poke()

    def set(self, when: float) -> None:
        if when < self.now():
            raise ValueError("the clock only moves forward")
        self.advance(when - self.now())

    def freeze(self) -> None:
        if self._frozen_at is None:
            self._frozen_at = self.now()

    def resume(self) -> None:
        if self._frozen_at is not None:
            self._offset = self._frozen_at - time.time()
            self._frozen_at = None
            self._poke()

    # -- timers ------------------------------------------------------------------------------
    def call_at(self, when: float, callback: Callable[[], Any]) -> None:
        """Run ``callback()`` (sync) once the clock reads ``when`` or later."""
        seq = next(self._seq)
        heapq.heappush(self._timers, (when, seq, callback))
        if self._timers[0][1] == seq:  # the new timer is the earliest: re-arm the driver
            self._poke()

    def call_later(self, delay: float, callback: Callable[[], Any]) -> None:
        self.call_at(self.now() + delay, callback)

    def pending(self) -> int:
        return len(self._timers)

    def clear(self) -> None:
        self._timers.clear()

    def _fire_due(self) -> None:
        now = self.now()
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, callback = heapq.heappop(timers)
            callback()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._drive(), name="mockserver-clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _drive(self) -> None:
        assert self._wake is not None
        while True:
            self._fire_due()
            if self._timers and self._frozen_at is None:
                timeout: float | None = max(0.0, self._timers[0][0] - self.now())
            else:
                timeout = None
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass


def parse_instant(value: str) -> float:
    """Unix seconds of an ISO-8601 instant; naive values are taken as Asia/Bangkok time."""
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=BANGKOK)
    return dt.timestamp()
