"""The one clock that every time-dependent behaviour reads.

Delivery timings, OTP and token expiry, scheduled sends and checksum timestamps all ask this
clock, never ``time.time()``, so that a test can move time forward (``POST /_mock/clock``) and
see everything that became due fire at once, in order, without waiting in real time.

The clock is *virtual time = real time + offset* while it runs, and a fixed instant while it is
frozen. Timers live in one heap; one event-loop timer is armed for the earliest of them (no
task, no polling) and re-armed whenever the clock is moved, frozen, resumed or given an earlier
timer. Moving the clock runs everything that became due synchronously, before the admin call
answers.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
HO_CHI_MINH = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
log = logging.getLogger("mockserver.clock")

_DURATION = re.compile(r"^\s*(?P<n>-?\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
# The latest instant the clock may read: 9999-12-30T00:00:00Z, a day before the last one ``datetime``
# can show in any zone. Past it every timestamp the vendors format would overflow: refused.
LATEST = 253402128000.0


# What a duration may be, for every message that refuses one (scenario files, the admin API).
DURATION_HINT = 'give seconds (90, 0.25) or a string such as "250ms", "90s", "1h30m" (units ms, s, m, h, d, w)'


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``: a number of seconds or a string such as ``"1h"``, ``"90s"``, ``"250ms"``.

    Compound strings (``"1h30m"``) are summed part by part.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration: {DURATION_HINT}")
    if isinstance(value, int | float):
        return float(value)
    parts = re.findall(r"-?\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)?", str(value))
    if not parts or "".join(parts).replace(" ", "") != str(value).replace(" ", ""):
        raise ValueError(f"{value!r} is not a duration: {DURATION_HINT}")
    total = 0.0
    for part in parts:
        m = _DURATION.match(part)
        if not m:
            raise ValueError(f"{value!r} is not a duration: {DURATION_HINT}")
        total += float(m["n"]) * _UNIT_SECONDS[m["unit"]]
    return total


class Timer:
    """A pending :meth:`Clock.call_at`; :meth:`cancel` stops it from running."""

    __slots__ = ("callback", "when")

    def __init__(self, when: float, callback: Callable[[], Any]) -> None:
        self.when = when
        self.callback: Callable[[], Any] | None = callback

    def cancel(self) -> None:
        self.callback = None

    @property
    def cancelled(self) -> bool:
        return self.callback is None


_TIMER = object()  # the heap entry's ``arg`` when its target is a Timer


def _call(callback: Callable[[], Any]) -> None:
    callback()


def _live(entry: tuple[float, int, Any, Any]) -> bool:
    return entry[3] is not _TIMER or entry[2].callback is not None


class Clock:
    """Virtual wall clock with timers. ``now()`` is Unix seconds (float).

    While a timer runs, ``now()`` reads the timer's due time, not the moment the driver got to
    it: a clock advanced by an hour fires a message's "sent" and "delivered" steps stamped at
    their own instants (accepted + 0.2 s, + 1 s), in order, and timers they set in turn are
    measured from those instants. The same seed thus gives the same timestamps however late the
    event loop ran the timer.
    """

    # The driver fires timers this early at most (the loop's timer resolution); the timer still
    # sees its own due time as ``now()``, so firing a millisecond early is invisible.
    TOLERANCE = 0.001

    def __init__(self, *, frozen: bool = False, start: float | None = None) -> None:
        real = time.time()
        self._stamp_key: tuple[str, timezone, int] | None = None
        self._stamp = ""
        self._offset = 0.0 if start is None else start - real
        self._frozen_at: float | None = (start if start is not None else real) if frozen else None
        # The start-up state that :meth:`reset` restores: running with this offset, or frozen here.
        self._initial = (self._offset, self._frozen_at)
        # Heap entries (due, seq, target, arg): ``target(arg)`` for :meth:`schedule`; for
        # :meth:`call_at` the target is a :class:`Timer` and ``arg`` is ``_TIMER``.
        self._timers: list[tuple[float, int, Any, Any]] = []
        self._seq = itertools.count()
        self._at: float | None = None  # the due time of the timer being run
        self._firing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._armed_for: float | None = None
        self.fired = 0  # timers run since start (shown by GET /_mock/clock)

    # -- reading -----------------------------------------------------------------------------
    def now(self) -> float:
        if self._at is not None:
            return self._at
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    def datetime(self, tz: timezone = BANGKOK) -> datetime:
        return datetime.fromtimestamp(self.now(), tz)

    def strftime(self, fmt: str, tz: timezone = BANGKOK) -> str:
        """The current time in a format of whole seconds at most (ids such as SmartSMSBulk's
        ``yyMMddHHmmss`` prefix), formatted once per second: it is on every send's path."""
        key = (fmt, tz, int(self.now()))
        if key != self._stamp_key:
            self._stamp_key = key
            self._stamp = datetime.fromtimestamp(key[2], tz).strftime(fmt)
        return self._stamp

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    # -- moving ------------------------------------------------------------------------------
    def advance(self, seconds: float) -> int:
        """Move forward by ``seconds`` and run every timer now due, in due order; returns how many ran."""
        if not math.isfinite(seconds):
            raise ValueError("not a finite duration")
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        if self._firing:
            raise ValueError("the clock cannot be moved from inside a timer")
        if self.now() + seconds > LATEST:
            raise ValueError("the clock cannot move past 9999-12-30T00:00:00Z")
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds
        fired = self._fire_due(self.now())
        self._arm()
        return fired

    def set(self, when: float) -> int:
        """Move to the instant ``when`` (Unix seconds) and run every timer now due."""
        now = self.now()
        if when < now:
            raise ValueError("the clock only moves forward")
        return self.advance(when - now)

    def freeze(self) -> None:
        if self._frozen_at is None:
            self._frozen_at = self.now()
            self._arm()

    def resume(self) -> None:
        if self._frozen_at is not None:
            self._offset = self._frozen_at - time.time()
            self._frozen_at = None
            self._arm()

    def saved_state(self) -> dict[str, Any]:
        """The clock's setting as a saved world keeps it: its offset from real time, or the
        instant it is frozen at (the timers are not in it: their owners schedule them again)."""
        return {"offset": self._offset, "frozen_at": self._frozen_at}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Set the clock as :meth:`saved_state` saw it. A running clock keeps its offset, so the
        time that passed while the server was down has passed for the mock too."""
        self._offset = float(state["offset"])
        frozen_at = state.get("frozen_at")
        self._frozen_at = float(frozen_at) if frozen_at is not None else None
        self._stamp_key = None
        self._arm()

    # -- timers ------------------------------------------------------------------------------
    def call_at(self, when: float, callback: Callable[[], Any]) -> Timer:
        """Run ``callback()`` (sync) once the clock reads ``when`` or later; returns a cancellable handle.

        Timers due at the same instant run in the order they were set.
        """
        timer = Timer(when, callback)
        heapq.heappush(self._timers, (when, next(self._seq), timer, _TIMER))
        if self._timers[0][2] is timer and not self._firing:  # the new earliest: re-arm the driver
            self._arm()
        return timer

    def schedule(self, when: float, target: Callable[[Any], Any], arg: Any) -> None:
        """Run ``target(arg)`` once the clock reads ``when``, like :meth:`call_at` but with no
        handle to cancel it: one heap entry and nothing else, for the steps every accepted
        message schedules (the journal's lifecycles are the bulk of the timers)."""
        entry = (when, next(self._seq), target, arg)
        timers = self._timers
        heapq.heappush(timers, entry)
        if timers[0] is entry and not self._firing:
            self._arm()

    def call_later(self, delay: float, callback: Callable[[], Any]) -> Timer:
        return self.call_at(self.now() + delay, callback)

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has moved ``seconds`` forward (by real time or by an advance)."""
        future = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(seconds, wake)
        try:
            await future
        finally:
            timer.cancel()

    def pending(self) -> int:
        return sum(1 for entry in self._timers if _live(entry))

    def next_due(self) -> float | None:
        return min((entry[0] for entry in self._timers if _live(entry)), default=None)

    def clear(self) -> None:
        for _, _, target, arg in self._timers:
            if arg is _TIMER:
                target.cancel()
        self._timers.clear()
        self._arm()

    def reset(self) -> None:
        """Back to the start-up state: every timer dropped, and the time as at start-up (running
        on real time with the start-up offset, or frozen at the start-up instant), so that time
        moved by one test does not leak into the next (``POST /_mock/reset``)."""
        for _, _, target, arg in self._timers:
            if arg is _TIMER:
                target.cancel()
        self._timers.clear()
        self._offset, self._frozen_at = self._initial
        self._stamp_key = None
        self._arm()

    def _fire_due(self, now: float) -> int:
        if self._firing:  # a timer that moves the clock: the outer loop picks up the rest
            return 0
        timers = self._timers
        fired = 0
        self._firing = True
        try:
            while timers and timers[0][0] <= now:
                when, _, target, arg = heapq.heappop(timers)
                if arg is _TIMER:
                    callback = target.callback
                    if callback is None:
                        continue
                    target.callback = None
                    target, arg = _call, callback
                self._at = when
                try:
                    target(arg)
                except Exception:  # one broken timer must not stop the clock
                    log.exception("clock timer %r failed", arg if target is _call else target)
                finally:
                    self._at = None
                fired += 1
        finally:
            self._firing = False
        self.fired += fired
        return fired

    # -- the driver: one loop timer armed for the earliest due timer -------------------------
    def _arm(self) -> None:
        loop = self._loop
        if loop is None:
            return
        while self._timers and not _live(self._timers[0]):
            heapq.heappop(self._timers)  # drop cancelled timers from the top
        if not self._timers or self._frozen_at is not None:
            if self._handle is not None:
                self._handle.cancel()
                self._handle = self._armed_for = None
            return
        due = self._timers[0][0]
        if self._handle is not None:
            if self._armed_for == due:
                return
            self._handle.cancel()
        self._armed_for = due
        self._handle = loop.call_at(loop.time() + max(0.0, due - self.now()), self._on_timer)

    def _on_timer(self) -> None:
        self._handle = self._armed_for = None
        if self._frozen_at is None:
            self._fire_due(self.now() + self.TOLERANCE)
        self._arm()

    async def start(self) -> None:
        self.start_now()

    def start_now(self) -> None:
        """:meth:`start` from synchronous code on the running loop (a namespace created mid-request)."""
        self._loop = asyncio.get_running_loop()
        self._arm()

    async def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self._armed_for = None
        self._loop = None


def parse_instant(value: str) -> float:
    """Unix seconds of an ISO-8601 instant; naive values are taken as Asia/Bangkok time."""
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=BANGKOK)
    return dt.timestamp()
