"""The delivery-report dispatcher: every callback is delivered, pending, gave_up or dropped.

Vendors hand it a ready request (URL, method, headers, body) with :meth:`Dispatcher.send`, or
one report at a time with :meth:`Dispatcher.send_batched` when the vendor puts several reports
in one callback (SmartSMSBulk's JSON array). A bounded pool of workers sends them over one
shared client session, retries with exponential backoff and jitter while the receiver fails
(connection error, timeout, or a status the vendor does not count as received), and records
every attempt (time, URL, status, latency, error, start of the response) in the store's
callback journal. Delivery is at least once: an attempt that timed out may have been processed
by the receiver, and it is retried all the same (journaled as such).

How the pieces behave (decisions the issue leaves open):

* A callback is journaled the moment it exists (``pending``), before its first attempt; a
  batch being collected is already in the journal and grows until it is sealed.
* Retry *n* (n = 1, 2, ...) waits ``min(backoff_max, backoff_initial * 2**(n-1))`` seconds times a
  jitter factor drawn uniformly from [1.0, 1.2): jitter only ever adds (up to 20 %), so the
  nominal schedule is a guarantee (the defaults, 10 attempts from 60 s doubling to 10 minutes,
  span at least 65 minutes: a receiver down for an hour still gets every report) and receivers
  coming back see no herd. The jitter comes from its own generator seeded from ``--seed``, so
  retries never shift the ids and codes the vendors draw. Backoff waits on the mock's clock:
  with the default real-time clock that is real time; advancing the clock releases the retries
  that became due, a frozen clock holds them. ``gave_up`` comes only after ``max_attempts``.
* Egress (:mod:`mockserver.engine.egress`): :meth:`Dispatcher.url_allowed` is the one check
  vendors call at send time; at dispatch the host name is resolved and checked again, and a
  refused callback is journaled ``refused`` with the reason, never retried.
* Fairness: at most ``per_destination`` requests are queued or in flight per ``host:port``; the
  others wait in that destination's own line, so a receiver that hangs holds that many workers
  and no more, and reports to other receivers go out at once.
* Batching: reports for the same (vendor, URL, method, headers) that arrive within
  ``batch_window`` seconds of the first go out together, at most ``batch_max`` per callback.
  Advancing the clock fires all due reports in one go, so they leave in full batches.
* Ordering: a vendor that keeps order per destination passes ``ordered=True``; those callbacks
  are sent one at a time per URL, each after the previous one is delivered or given up (a
  failing head holds the line, as a real in-order sender does). Others go out concurrently.
* Scenario ``callback`` plans (:class:`~mockserver.engine.scenarios.CallbackPlan`): ``drop`` journals
  the callback as ``dropped`` and never sends it; ``delay`` holds the first attempt for that
  many seconds *on the virtual clock* (so advancing the clock releases it); ``duplicate`` sends
  that many extra copies, each its own journal entry noted ``duplicate of cb-N``; ``reorder``
  holds the callback back until the next callback to the same URL has had its first attempt
  (or ``reorder_hold`` real seconds passed, so the last one is never stuck). A report with a
  plan is never batched, so the rule affects exactly the matched message.
* Shutdown (:meth:`Dispatcher.stop`): open batches are sealed; callbacks waiting for a retry, a
  delay or a reorder are queued at once; the workers keep going for up to ``grace`` seconds, each
  pending callback getting one more attempt and no further retry; what is still pending after
  that is logged (id, URL, method, body), so nothing is lost silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import re
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from mockserver.core.store import (
    CALLBACK_CHANGED,
    CB_DELIVERED,
    CB_DROPPED,
    CB_GAVE_UP,
    CB_PENDING,
    CB_REFUSED,
    CallbackAttempt,
    CallbackRecord,
)
from mockserver.engine.egress import Egress, EgressRefused, GuardedResolver, admin_request, is_admin_path

if TYPE_CHECKING:
    from mockserver.core.clock import Clock, Timer
    from mockserver.core.randomness import Randomness
    from mockserver.core.store import Store
    from mockserver.engine.scenarios import CallbackPlan, ScenarioEngine

log = logging.getLogger("mockserver.callbacks")

_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f\s]")  # whitespace or control characters anywhere
RESPONSE_KEPT = 2048  # bytes of the receiver's answer kept in the journal
JITTER = (1.0, 1.2)  # retry delay factor: jitter only adds, so the nominal schedule is a floor
# Attempt errors a user reads in the journal: a timed-out request may well have arrived.
TIMEOUT_ERROR = "timeout: the receiver may have processed it"
CONNECT_TIMEOUT_ERROR = "timeout while connecting: not sent"

ANSWER_READ = 64 * 1024  # bytes of the receiver's answer an ``on_answer`` hook gets

# ``on_answer(record, attempt, body)``: called after every attempt of a callback sent with it,
# once the attempt is journaled and the record's state updated; ``body`` is the start of the
# receiver's answer (empty when there was none). For callbacks whose answer means something to
# the sender (SMS 2-way: the customer answers with the reply SMS).
AnswerHook = Callable[[CallbackRecord, CallbackAttempt, bytes], None]


@dataclass(frozen=True, slots=True)
class CallbackSettings:
    """``callbacks:`` in the config. The retry schedule spans an outage of about an hour
    (65 to 78 minutes with jitter), as real providers retry for hours rather than seconds."""

    max_attempts: int = 10
    backoff_initial: float = 60.0
    backoff_max: float = 600.0
    timeout: float = 5.0
    concurrency: int = 64
    per_destination: int = 8  # requests queued or in flight per host:port at most
    grace: float = 5.0
    allowed_hosts: tuple[str, ...] | None = None  # None: any host; "*.example.com" matches subdomains
    deny_private: bool = False  # also refuse loopback and private addresses (a shared sandbox)
    batch_window: float = 0.05
    batch_max: int = 100
    reorder_hold: float = 2.0


class _RateLimited:
    """Warnings about failing callbacks, at most one per (kind, receiver host) every ``every``
    seconds: a dead receiver under a load test would otherwise write a line per message. The
    next line that gets through says how many were held back."""

    def __init__(self, every: float = 10.0, keep: int = 1024) -> None:
        self.every = every
        self.keep = keep  # distinct hosts remembered (bounded memory)
        self._last: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}

    def warning(self, kind: str, url: str, message: str, *args: Any) -> None:
        key = (kind, urlsplit(url).netloc)
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.every:
            self._held[key] = self._held.get(key, 0) + 1
            return
        if len(self._last) >= self.keep:
            self._last.clear()
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            message += f" (and {held} more like it for this host in the last {self.every:g}s)"
        log.warning(message, *args)


@dataclass(slots=True)
class _Batch:
    """Reports collected for one destination; ``record`` is already journaled."""

    record: CallbackRecord
    items: list[Any]
    encode: Callable[[list[Any]], bytes]
    limit: int
    handle: asyncio.TimerHandle | None = None


@dataclass(slots=True)
class _Lane:
    """In-order callbacks for one URL: one in flight at a time."""

    waiting: deque[CallbackRecord] = field(default_factory=deque)
    busy: bool = False


@dataclass(slots=True)
class _Destination:
    """One ``host:port``: how many of its callbacks hold a place in the queue or a worker, and
    the ones waiting for a place (they hold no worker while they wait)."""

    active: int = 0
    waiting: deque[CallbackRecord] = field(default_factory=deque)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        rng: Randomness,
        settings: CallbackSettings,
        scenarios: ScenarioEngine | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.settings = settings
        self.scenarios = scenarios
        self._jitter = random.Random(f"callbacks:{rng.seed}")
        self.last_id = 0  # ids are cb-1, cb-2...: never reused, not even after a reset
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[CallbackRecord, _Destination]] | None = None
        self._backlog: list[CallbackRecord] = []  # queued before start()
        self._workers: list[asyncio.Task] = []
        self._session: aiohttp.ClientSession | None = None
        self._in_flight = 0
        self._retry: dict[str, tuple[CallbackRecord, Timer]] = {}  # on the mock's clock
        self._delayed: dict[str, tuple[CallbackRecord, Any]] = {}  # virtual-clock delays
        self._held: dict[str, list[tuple[CallbackRecord, asyncio.TimerHandle | None]]] = {}  # reorder, per URL
        self._batches: dict[tuple, _Batch] = {}
        self._lanes: dict[str, _Lane] = {}
        self._destinations: dict[str, _Destination] = {}
        self.egress = Egress(deny_private=settings.deny_private)
        self._answer_hooks: dict[str, AnswerHook] = {}  # record id -> on_answer, until it settles
        self._closing = False
        self._hurry = False
        self._idle = asyncio.Event()
        self._idle.set()
        self.stats = {"sent": 0, "delivered": 0, "gave_up": 0, "dropped": 0, "refused": 0, "attempts": 0}
        self.warnings = _RateLimited()

    # -- policy ------------------------------------------------------------------------------
    def url_allowed(self, url: str) -> bool:
        """The send-time check every vendor calls on a client's callback URL (the vendor then
        answers its own invalid-callback error): see :meth:`refusal`."""
        return self.refusal(url) is None

    def refusal(self, url: str) -> str | None:
        """Why a callback to ``url`` is refused, or None: only http(s) URLs with a host and no
        whitespace; only allow-listed hosts when the config has a list; and never the mock's own
        ``/_mock/``, link-local or metadata addresses, nor private ones with ``deny_private`` (a
        shared sandbox must not become a way to reach internal services)."""
        if not isinstance(url, str) or _UNSAFE_URL.search(url):
            return "not a URL"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            return "not a URL"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "not an http(s) URL with a host"
        if not self._host_listed(parts.hostname):
            return f"host {parts.hostname} is not in callbacks.allowed_hosts"
        return self.egress.url_refusal(url)

    def _host_listed(self, hostname: str) -> bool:
        allowed = self.settings.allowed_hosts
        if allowed is None:
            return True
        host = hostname.lower().rstrip(".")
        for entry in allowed:
            if entry.startswith("*."):
                if host.endswith(entry[1:]) and host != entry[2:]:
                    return True
            elif host == entry:
                return True
        return False

    def listening(self, addresses: Iterable[Any]) -> None:
        """The server tells the dispatcher where it listens once its sockets are bound (aiohttp's
        ``AppRunner.addresses``), so that callbacks to its own ``/_mock/`` are refused."""
        self.egress.listening(addresses)

    # -- sending -----------------------------------------------------------------------------
    def send(
        self,
        *,
        vendor: str,
        url: str,
        body: bytes,
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
        message_ids: list[str] | None = None,
        accept: Collection[int] | None = None,
        ordered: bool = False,
        plan: CallbackPlan | None = None,
        consult: bool = True,
        note: str | None = None,
        on_answer: AnswerHook | None = None,
    ) -> CallbackRecord:
        """Journal and queue one callback; ``accept`` lists the statuses that count as received
        (default any 2xx). ``plan`` overrides the scenario's callback rule for these messages;
        ``consult=False`` skips asking the scenario (replays, copies). ``on_answer`` is called
        after each of its attempts (see :data:`AnswerHook`)."""
        record = self._new_record(vendor, url, body, method, headers, message_ids, accept, ordered, note)
        if on_answer is not None:
            self._answer_hooks[record.id] = on_answer
        if plan is None and consult and record.message_ids:
            plan = self._plan_for(record.message_ids)
        self._dispatch(record, plan)
        return record

    def send_batched(
        self,
        *,
        vendor: str,
        url: str,
        item: Any,
        encode: Callable[[list[Any]], bytes],
        message_id: str | None = None,
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] | None = None,
        ordered: bool = False,
        max_items: int | None = None,
        plan: CallbackPlan | None = None,
    ) -> CallbackRecord:
        """Add one report to the open batch for this destination; ``encode(items)`` renders the
        body when the batch is sealed (after ``batch_window`` or at ``max_items``/``batch_max``).

        A report whose scenario plan changes its fate is sent on its own.
        """
        ids = [message_id] if message_id is not None else []
        if plan is None and ids:
            plan = self._plan_for(ids)
        if plan is not None and _changes_anything(plan):
            return self.send(
                vendor=vendor, url=url, body=encode([item]), method=method, headers=headers,
                message_ids=ids, accept=accept, ordered=ordered, plan=plan,
            )  # fmt: skip
        limit = max(1, min(max_items or self.settings.batch_max, self.settings.batch_max))
        hdrs = dict(headers or {})
        key = (vendor, url, method.upper(), tuple(sorted(hdrs.items())), ordered)
        batch = self._batches.get(key)
        if batch is None:
            record = self._new_record(vendor, url, b"", method, hdrs, [], accept, ordered, "batch being collected")
            batch = _Batch(record, [], encode, limit)
            self._batches[key] = batch
            if self._loop is not None and self.settings.batch_window > 0 and limit > 1:
                batch.handle = self._loop.call_later(self.settings.batch_window, self._seal, key)
            elif self._loop is not None:
                batch.handle = self._loop.call_soon(self._seal, key)  # type: ignore[assignment]
        record = batch.record
        batch.items.append(item)
        if message_id is not None:
            record.message_ids.append(message_id)
            message = self.store.get_message(message_id)
            if message is not None:
                message.callbacks += (record.id,)
        if len(batch.items) >= batch.limit or self._loop is None:
            self._seal(key)
        return record

    def replay(self, record: CallbackRecord) -> CallbackRecord:
        """Send a recorded callback again, as a new journal entry (no scenario rule applies)."""
        return self.send(
            vendor=record.vendor,
            url=record.url,
            body=record.body,
            method=record.method,
            headers=record.headers,
            message_ids=record.message_ids,
            accept=record.accept,
            ordered=record.ordered,
            consult=False,
            note=f"replay of {record.id}",
        )

    def pending(self) -> int:
        return sum(1 for r in self.store.callbacks.values() if r.state == CB_PENDING)

    def counts(self) -> dict[str, int]:
        out = {CB_PENDING: 0, CB_DELIVERED: 0, CB_GAVE_UP: 0, CB_DROPPED: 0, CB_REFUSED: 0}
        for record in self.store.callbacks.values():
            out[record.state] = out.get(record.state, 0) + 1
        return out

    def busy(self) -> bool:
        """Anything queued, in flight, waiting for a place at its destination, for a retry on a
        running clock, being batched or held back (callbacks delayed, or retries waiting, on a
        frozen clock wait for the clock to move and do not count)."""
        return bool(
            (self._queue is not None and not self._queue.empty())
            or self._backlog
            or self._in_flight
            or (self._retry and not self.clock.frozen)
            or self._batches
            or self._held
            or any(d.waiting for d in self._destinations.values())
        )

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until :meth:`busy` is false (tests, benchmarks); TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.busy():
            if time.monotonic() >= deadline:
                raise TimeoutError("callbacks still pending")
            self._idle.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), min(0.05, max(0.001, deadline - time.monotonic())))

    # -- internals: records and plans ---------------------------------------------------------
    def _new_record(
        self,
        vendor: str,
        url: str,
        body: bytes,
        method: str,
        headers: Mapping[str, str] | None,
        message_ids: Iterable[str] | None,
        accept: Collection[int] | None,
        ordered: bool,
        note: str | None,
    ) -> CallbackRecord:
        self.last_id += 1
        record = CallbackRecord(
            id=f"cb-{self.last_id}",
            vendor=vendor,
            url=url,
            method=method.upper(),
            headers=dict(headers or {}),
            body=body,
            message_ids=list(message_ids or ()),
            created_at=self.clock.now(),
            accept=tuple(accept) if accept is not None else None,
            ordered=ordered,
            note=note,
        )
        self.store.add_callback(record)
        self.stats["sent"] += 1
        get = self.store.get_message
        for message_id in record.message_ids:
            message = get(message_id)
            if message is not None:
                message.callbacks += (record.id,)
        return record

    def _plan_for(self, message_ids: list[str]) -> CallbackPlan | None:
        if self.scenarios is None or not self.scenarios.rules:
            return None
        for message_id in message_ids:
            message = self.store.get_message(message_id)
            if message is not None:
                plan = self.scenarios.callback_for(message)
                if plan is not None:
                    return plan
        return None

    def _dispatch(self, record: CallbackRecord, plan: CallbackPlan | None) -> None:
        if plan is None or not _changes_anything(plan):
            self._enqueue(record)
            return
        if plan.drop:
            record.state = CB_DROPPED
            record.note = _join(record.note, "dropped by a scenario rule")
            self.stats["dropped"] += 1
            return
        copies = [record]
        for n in range(plan.duplicate):
            copy = self._new_record(
                record.vendor, record.url, record.body, record.method, record.headers, record.message_ids,
                record.accept, record.ordered, f"duplicate {n + 1} of {record.id}",
            )  # fmt: skip
            copies.append(copy)
        for copy in copies:
            if plan.delay > 0:
                copy.note = _join(copy.note, f"delayed {plan.delay:g}s by a scenario rule")
                self._delay(copy, plan.delay, plan.reorder)
            elif plan.reorder:
                self._hold(copy)
            else:
                self._enqueue(copy)

    def _delay(self, record: CallbackRecord, seconds: float, reorder: bool) -> None:
        def due() -> None:
            if self._delayed.pop(record.id, None) is None:
                return
            self._hold(record) if reorder else self._enqueue(record)

        timer = self.clock.call_later(seconds, due)
        self._delayed[record.id] = (record, timer)

    def _hold(self, record: CallbackRecord) -> None:
        """Keep ``record`` back until the next callback to its URL has had its first attempt."""
        record.note = _join(record.note, "held back so that a later report overtakes it")
        handle = None
        if self._loop is not None:
            handle = self._loop.call_later(self.settings.reorder_hold, self._release_held, record.url, record.id)
        self._held.setdefault(record.url, []).append((record, handle))

    def _release_held(self, url: str, only: str | None = None) -> None:
        held = self._held.get(url)
        if not held:
            return
        keep = []
        for record, handle in held:
            if only is not None and record.id != only:
                keep.append((record, handle))
                continue
            if handle is not None:
                handle.cancel()
            self._enqueue(record)
        if keep:
            self._held[url] = keep
        else:
            self._held.pop(url, None)
        self._check_idle()

    def _release_overtaken(self, record: CallbackRecord) -> None:
        """``record`` has had its first attempt: release the callbacks to its URL that were held
        back before it was created (it has now overtaken them)."""
        number = _number(record)
        for held, _ in list(self._held.get(record.url, ())):
            if _number(held) < number:
                self._release_held(record.url, held.id)

    def _seal(self, key: tuple) -> None:
        batch = self._batches.pop(key, None)
        if batch is None:
            return
        if batch.handle is not None:
            batch.handle.cancel()
        record = batch.record
        record.body = batch.encode(batch.items)
        record.note = None if len(batch.items) == 1 else f"batch of {len(batch.items)} reports"
        self._enqueue(record)

    # -- internals: queueing ------------------------------------------------------------------
    def _enqueue(self, record: CallbackRecord) -> None:
        if record.state != CB_PENDING:
            return
        if record.ordered:
            lane = self._lanes.get(record.url)
            if lane is None:
                lane = self._lanes[record.url] = _Lane()
            if lane.busy:
                lane.waiting.append(record)
                return
            lane.busy = True
        self._put(record)

    def _put(self, record: CallbackRecord) -> None:
        """Queue ``record`` for a worker, or let it wait in its destination's line when that
        destination already has ``per_destination`` callbacks queued or in flight."""
        if self._queue is None:
            self._backlog.append(record)
            return
        key = _destination(record.url)
        destination = self._destinations.get(key)
        if destination is None:
            destination = self._destinations[key] = _Destination()
        if destination.active >= self.settings.per_destination:
            destination.waiting.append(record)
            return
        destination.active += 1
        self._queue.put_nowait((record, destination))

    def _release(self, record: CallbackRecord, destination: _Destination) -> None:
        """A worker is done with ``record``: its place goes to the next one waiting."""
        destination.active -= 1
        if destination.waiting and self._queue is not None:
            destination.active += 1
            self._queue.put_nowait((destination.waiting.popleft(), destination))
        elif not destination.active and self._destinations.get(_destination(record.url)) is destination:
            del self._destinations[_destination(record.url)]

    def _settled(self, record: CallbackRecord) -> None:
        """``record`` is finished (or, while closing, had its last try): free its lane."""
        if record.ordered:
            lane = self._lanes.get(record.url)
            if lane is not None:
                if lane.waiting:
                    self._put(lane.waiting.popleft())
                else:
                    del self._lanes[record.url]

    def _check_idle(self) -> None:
        if not self.busy():
            self._idle.set()

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.start_now()

    def start_now(self) -> None:
        """:meth:`start` from synchronous code on the running loop (a namespace created mid-request)."""
        self._loop = asyncio.get_running_loop()
        self._closing = self._hurry = False
        self._queue = asyncio.Queue()
        connector = aiohttp.TCPConnector(
            limit=self.settings.concurrency, limit_per_host=0, resolver=GuardedResolver(self.egress)
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            auto_decompress=False,
            headers={"User-Agent": "sms-mockserver-callbacks"},
        )
        backlog, self._backlog = self._backlog, []
        for record in backlog:
            self._put(record)
        for key in list(self._batches):  # batches opened before start: seal them now
            self._seal(key)
        self._workers = [
            asyncio.create_task(self._work(), name=f"callback-worker-{i}") for i in range(self.settings.concurrency)
        ]

    def reset(self) -> None:
        """Forget everything waiting (``POST /_mock/reset``: the journal is emptied too)."""
        for _, handle in self._retry.values():
            handle.cancel()
        self._retry.clear()
        for _, timer in self._delayed.values():
            timer.cancel()
        self._delayed.clear()
        for held in self._held.values():
            for _, hold in held:
                if hold is not None:
                    hold.cancel()
        self._held.clear()
        for batch in self._batches.values():
            if batch.handle is not None:
                batch.handle.cancel()
        self._batches.clear()
        self._lanes.clear()
        for destination in self._destinations.values():
            destination.waiting.clear()  # in-flight ones release a place nobody waits for
        self._destinations.clear()
        self._answer_hooks.clear()
        self._backlog.clear()
        if self._queue is not None:
            while not self._queue.empty():
                self._queue.get_nowait()
        self._jitter.seed(f"callbacks:{self.rng.seed}")
        self._check_idle()

    async def stop(self, grace: float | None = None) -> dict[str, int]:
        """Give every pending callback one more attempt within ``grace`` seconds (default: the
        config's), log the ones still pending with their payloads, close the session.

        Returns the journal's counts per state after the grace period.
        """
        grace = self.settings.grace if grace is None else grace
        self._closing = True
        if self._queue is None:  # never started: nothing can be attempted
            self._report_leftovers()
            return self.counts()
        for key in list(self._batches):
            self._seal(key)
        for record, handle in list(self._retry.values()):
            handle.cancel()
            self._put(record)
        self._retry.clear()
        for record, timer in list(self._delayed.values()):
            timer.cancel()
            self._enqueue(record)
        self._delayed.clear()
        for url in list(self._held):
            self._release_held(url)
        waiting = self.pending()
        if waiting:
            log.info("shutdown: %d callback(s) pending, trying each once more within %gs", waiting, grace)
        deadline = time.monotonic() + grace
        while (not self._queue.empty() or self._in_flight) and time.monotonic() < deadline and not self._hurry:
            self._idle.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), min(0.05, max(0.001, deadline - time.monotonic())))
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        self._report_leftovers()
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._queue = None
        self._loop = None
        counts = self.counts()
        if waiting:
            log.info(
                "shutdown: callbacks delivered %d, pending %d, gave_up %d, dropped %d",
                counts[CB_DELIVERED], counts[CB_PENDING], counts[CB_GAVE_UP], counts[CB_DROPPED],
            )  # fmt: skip
        return counts

    def hurry(self) -> None:
        """End the shutdown grace period now (a second SIGINT/SIGTERM)."""
        self._hurry = True
        self._idle.set()

    def _report_leftovers(self) -> None:
        for record in self.store.callbacks.values():
            if record.state == CB_PENDING:
                log.warning(
                    "callback %s not delivered at shutdown (%d attempt(s)): %s %s %s",
                    record.id,
                    len(record.attempts),
                    record.method,
                    record.url,
                    record.body.decode("utf-8", "replace"),
                )

    # -- the workers ---------------------------------------------------------------------------
    async def _work(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            record, destination = await queue.get()
            self._in_flight += 1
            try:
                await self._attempt(record)
            except asyncio.CancelledError:
                raise
            except Exception:  # never let one bad callback stop a worker
                log.exception("callback %s failed unexpectedly", record.id)
            finally:
                self._release(record, destination)
                self._in_flight -= 1
                if not self._in_flight and queue.empty():
                    self._check_idle()

    async def _attempt(self, record: CallbackRecord) -> None:
        if record.state != CB_PENDING:
            self._settled(record)
            return
        session = self._session
        assert session is not None
        at = self.clock.now()
        started = time.perf_counter()
        why = await self.egress.resolved_refusal(record.url)
        if why is not None:
            self._refuse(record, at, started, why)
            return
        status: int | None = None
        error: str | None = None
        response_body: str | None = None
        admin = admin_request.set(is_admin_path(urlsplit(record.url).path))
        hook = self._answer_hooks.get(record.id)
        raw = b""
        try:
            async with session.request(
                record.method,
                record.url,
                data=record.body if record.method != "GET" else None,
                headers=record.headers,
                allow_redirects=False,
            ) as resp:
                status = resp.status
                raw = await resp.content.read(ANSWER_READ if hook is not None else RESPONSE_KEPT)
                response_body = raw[:RESPONSE_KEPT].decode("utf-8", "replace")
        except asyncio.CancelledError:  # the grace period ended mid-request: journal the cut attempt
            latency = (time.perf_counter() - started) * 1000
            record.attempts.append(CallbackAttempt(at, None, latency, "interrupted at shutdown", None, record.url))
            raise
        except aiohttp.ConnectionTimeoutError:
            error = CONNECT_TIMEOUT_ERROR
        except TimeoutError:
            error = TIMEOUT_ERROR
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, EgressRefused):  # the name changed its answer since the check
                self._refuse(record, at, started, str(exc.os_error))
                return
            error = f"{type(exc).__name__}: {exc}"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            admin_request.reset(admin)
        latency = (time.perf_counter() - started) * 1000
        record.attempts.append(CallbackAttempt(at, status, latency, error, response_body, record.url))
        self.stats["attempts"] += 1
        accept = record.accept
        first = len(record.attempts) == 1
        if status is not None and (status in accept if accept is not None else 200 <= status < 300):
            record.state = CB_DELIVERED
            self.stats["delivered"] += 1
            self._settled(record)
        elif len(record.attempts) >= self.settings.max_attempts:
            record.state = CB_GAVE_UP
            self.stats["gave_up"] += 1
            self._settled(record)
            self.warnings.warning(
                CB_GAVE_UP,
                record.url,
                "callback %s to %s %s: gave up after %d attempts (last: %s)",
                record.id,
                record.method,
                record.url,
                len(record.attempts),
                error or f"status {status}",
            )
        elif self._closing:
            self._settled(record)  # its one more try at shutdown: still pending, logged
        else:
            if first:
                self.warnings.warning(
                    "failing",
                    record.url,
                    "callback %s to %s %s failed (%s); retrying, up to %d attempts",
                    record.id,
                    record.method,
                    record.url,
                    error or f"status {status}",
                    self.settings.max_attempts,
                )
            self._schedule_retry(record)
        if hook is not None:
            if record.state != CB_PENDING:
                del self._answer_hooks[record.id]
            try:
                hook(record, record.attempts[-1], raw)
            except Exception:  # the hook's bug must not stop this worker
                log.exception("callback %s: on_answer failed", record.id)
        if self.store.listeners:  # the web inbox shows attempts live
            self.store.emit(CALLBACK_CHANGED, record)
        if first and self._held.get(record.url):
            self._release_overtaken(record)

    def _refuse(self, record: CallbackRecord, at: float, started: float, why: str) -> None:
        """Journal a refused attempt and settle the callback: a refused destination stays refused."""
        latency = (time.perf_counter() - started) * 1000
        record.attempts.append(CallbackAttempt(at, None, latency, f"refused: {why}", None, record.url))
        record.state = CB_REFUSED
        self.stats["attempts"] += 1
        self.stats["refused"] += 1
        self._settled(record)
        hook = self._answer_hooks.pop(record.id, None)
        if hook is not None:  # the sender learns that nothing answered, as after giving up
            try:
                hook(record, record.attempts[-1], b"")
            except Exception:
                log.exception("callback %s: on_answer failed", record.id)
        if self.store.listeners:
            self.store.emit(CALLBACK_CHANGED, record)
        if len(record.attempts) == 1 and self._held.get(record.url):
            self._release_overtaken(record)

    def retry_delay(self, attempts: int) -> float:
        """Seconds before the retry that follows attempt number ``attempts`` (jitter included)."""
        base = min(self.settings.backoff_max, self.settings.backoff_initial * 2 ** (attempts - 1))
        return base * self._jitter.uniform(*JITTER)

    def _schedule_retry(self, record: CallbackRecord, at: float | None = None) -> None:
        def requeue() -> None:
            if self._retry.pop(record.id, None) is not None:
                self._put(record)  # an ordered record keeps its lane: it is still the head

        when = self.clock.now() if at is None else at
        self._retry[record.id] = (record, self.clock.call_at(when + self.retry_delay(len(record.attempts)), requeue))

    # -- a restored world ------------------------------------------------------------------------
    def saved_state(self) -> dict[str, Any]:
        """What a saved world keeps of the dispatcher besides the journal: the id sequence, the
        counters and the jitter generator (so that a restart neither reuses ids nor replays jitter)."""
        return {"last_id": self.last_id, "stats": dict(self.stats), "jitter": _jsonable(self._jitter.getstate())}

    def resume(self, state: Mapping[str, Any] | None) -> None:
        """Continue a restored world: every callback the journal holds as pending goes on where
        it was: one never tried is queued, one that failed waits for its next retry, due
        ``retry_delay`` after its last attempt on the restored clock (overdue: at once).

        Not carried over a restart: a scenario's ``delay``/``reorder`` hold (such a callback is
        queued at once) and an ``on_answer`` hook (an SMS 2-way answer then is not acted on)."""
        if state:
            self.last_id = max(self.last_id, int(state.get("last_id", 0)))
            self.stats.update(state.get("stats") or {})
            if state.get("jitter"):
                self._jitter.setstate(_tuples(state["jitter"]))
        numbers = [_number(r) for r in self.store.callbacks.values()]
        self.last_id = max([self.last_id, *numbers])
        for record in self.store.callbacks.values():
            if record.state != CB_PENDING:
                continue
            if not record.attempts:
                self._enqueue(record)
                continue
            if record.ordered:
                lane = self._lanes.setdefault(record.url, _Lane())
                if lane.busy:  # another one of its URL is the head already: wait behind it
                    lane.waiting.append(record)
                    continue
                lane.busy = True
            self._schedule_retry(record, at=record.attempts[-1].at)


def _jsonable(value: Any) -> Any:
    """Nested tuples as lists (``random.Random.getstate()`` as JSON)."""
    return [_jsonable(v) for v in value] if isinstance(value, tuple | list) else value


def _tuples(value: Any) -> Any:
    """The inverse of :func:`_jsonable`."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _changes_anything(plan: CallbackPlan) -> bool:
    return bool(plan.drop or plan.duplicate or plan.reorder or plan.delay > 0)


@functools.lru_cache(maxsize=4096)
def _destination(url: str) -> str:
    """``host:port`` of a callback URL: the unit of fairness (one receiver, whatever its paths)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def _number(record: CallbackRecord) -> int:
    return int(record.id.rpartition("-")[2])


def _join(note: str | None, more: str) -> str:
    return more if not note else f"{note}; {more}"
