"""The delivery-report dispatcher.

Vendors hand it a ready request (URL, method, headers, body); it sends it from a bounded pool
of workers over one shared client session, retries with exponential backoff and jitter while
the receiver fails (connection error, timeout, or a status the vendor does not count as
received), and records every attempt in the store's callback journal. Nothing is lost: a
callback is ``pending`` until it is ``delivered`` or, after the last attempt, ``gave_up``; on
shutdown the pending ones are tried once more within a grace period and the rest are logged
with their payloads.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

from .store import CALLBACK_CHANGED, CallbackAttempt, CallbackRecord

if TYPE_CHECKING:
    from .clock import Clock
    from .randomness import Randomness
    from .store import Store

log = logging.getLogger("mockserver.callbacks")


@dataclass(frozen=True, slots=True)
class CallbackSettings:
    max_attempts: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    timeout: float = 5.0
    concurrency: int = 64
    grace: float = 5.0
    allowed_hosts: tuple[str, ...] | None = None  # None: any host


class Dispatcher:
    def __init__(self, store: Store, clock: Clock, rng: Randomness, settings: CallbackSettings) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.settings = settings
        self._ids = itertools.count(1)
        self._queue: asyncio.Queue[CallbackRecord] | None = None
        self._accept: dict[str, Collection[int] | None] = {}
        self._workers: list[asyncio.Task] = []
        self._retry_handles: dict[str, asyncio.TimerHandle] = {}
        self._session: aiohttp.ClientSession | None = None
        self._idle: asyncio.Event | None = None
        self._in_flight = 0

    # -- policy ------------------------------------------------------------------------------
    def url_allowed(self, url: str) -> bool:
        """Only http(s) URLs, and only allow-listed hosts when the config has a list."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        allowed = self.settings.allowed_hosts
        return allowed is None or parts.hostname.lower() in allowed

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
    ) -> CallbackRecord:
        """Queue one callback; ``accept`` lists the statuses that count as received (default 2xx)."""
        record = CallbackRecord(
            id=f"cb-{next(self._ids)}",
            vendor=vendor,
            url=url,
            method=method.upper(),
            headers=dict(headers or {}),
            body=body,
            message_ids=list(message_ids or []),
            created_at=self.clock.now(),
        )
        self.store.add_callback(record)
        self._accept[record.id] = accept
        for message_id in record.message_ids:
            message = self.store.get_message(message_id)
            if message is not None:
                message.callbacks.append(record.id)
        if self._queue is not None:
            self._queue.put_nowait(record)
        return record

    def replay(self, record: CallbackRecord) -> CallbackRecord:
        """Send a recorded callback again, as a new journal entry."""
        return self.send(
            vendor=record.vendor,
            url=record.url,
            body=record.body,
            method=record.method,
            headers=record.headers,
            message_ids=record.message_ids,
            accept=self._accept.get(record.id),
        )

    def pending(self) -> int:
        return sum(1 for r in self.store.callbacks.values() if r.state == "pending")

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until no callback is queued, in flight or waiting for a retry (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self._queue is None or self._queue.empty()) and not self._in_flight and not self._retry_handles:
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("callbacks still pending")

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self._queue = asyncio.Queue()
        connector = aiohttp.TCPConnector(limit=self.settings.concurrency, force_close=False)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            auto_decompress=False,
        )
        for record in self.store.callbacks.values():  # queued before start (tests that reuse a store)
            if record.state == "pending":
                self._queue.put_nowait(record)
        self._workers = [
            asyncio.create_task(self._work(), name=f"callback-worker-{i}") for i in range(self.settings.concurrency)
        ]

    async def stop(self) -> None:
        """Stop the workers; try every pending callback once more within the grace period."""
        for handle in self._retry_handles.values():
            handle.cancel()
        self._retry_handles.clear()
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        pending = [r for r in self.store.callbacks.values() if r.state == "pending"]
        if pending and self._session is not None:
            last_try = [asyncio.create_task(self._attempt(r, final=True)) for r in pending]
            done, not_done = await asyncio.wait(last_try, timeout=self.settings.grace)
            for task in not_done:
                task.cancel()
        for record in self.store.callbacks.values():
            if record.state == "pending":
                log.warning(
                    "callback %s to %s not delivered at shutdown: %s", record.id, record.url, record.body.decode("utf-8", "replace")
                )
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            record = await self._queue.get()
            self._in_flight += 1
            try:
                await self._attempt(record)
            except Exception:  # never let one bad callback stop a worker
                log.exception("callback %s failed unexpectedly", record.id)
            finally:
                self._in_flight -= 1

    async def _attempt(self, record: CallbackRecord, *, final: bool = False) -> None:
        if record.state != "pending":
            return
        assert self._session is not None
        accept = self._accept.get(record.id)
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        response_body: str | None = None
        try:
            async with self._session.request(record.method, record.url, data=record.body if record.method != "GET" else None, headers=record.headers) as resp:
                status = resp.status
                response_body = (await resp.content.read(2048)).decode("utf-8", "replace")
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        latency = (time.perf_counter() - started) * 1000
        record.attempts.append(CallbackAttempt(self.clock.now(), status, latency, error, response_body))
        if self.store.listeners:  # the web inbox shows attempts live (the state is set below, before any await)
            self.store.emit(CALLBACK_CHANGED, record)
        ok = status is not None and (status in accept if accept is not None else 200 <= status < 300)
        if ok:
            record.state = "delivered"
            self._accept.pop(record.id, None)
            return
        if final or len(record.attempts) >= self.settings.max_attempts:
            record.state = "gave_up"
            self._accept.pop(record.id, None)
            return
        self._schedule_retry(record)

    def _schedule_retry(self, record: CallbackRecord) -> None:
        n = len(record.attempts)
        base = min(self.settings.backoff_max, self.settings.backoff_initial * 2 ** (n - 1))
        delay = base * self.rng.uniform(0.5, 1.0)  # "equal jitter": never zero, never a herd

        def requeue() -> None:
            self._retry_handles.pop(record.id, None)
            if self._queue is not None:
                self._queue.put_nowait(record)

        self._retry_handles[record.id] = asyncio.get_running_loop().call_later(delay, requeue)
