"""One world of state kept in SQLite (``--data-dir``): restored at start-up, written behind.

:func:`attach` opens a world's file (:mod:`mockserver.core.datadir` checks and migrates it),
restores what it holds into a freshly built :class:`~mockserver.engine.services.Services` and
returns a :class:`Persistence` that keeps the file up to date while the server runs.

How it writes (decisions the issue leaves open):

* **Write-behind.** The event loop never waits for the disk. Every ``FLUSH_INTERVAL`` (100 ms) it
  collects what changed since the last flush (the store's change events name the messages,
  callbacks, OTPs and inbound messages; the request journal is append-only; vendors that saw
  traffic are snapshotted whole through ``Vendor.state()``; clock, random sequence, counters and
  scenario rules are compared with what was last written) and turns it into rows on the loop;
  one writer thread with its own connection writes each batch in one transaction. Nothing
  changed: nothing is written. A message is written once and then only its progress (status,
  timeline, final, callbacks, fields); the request it came from once (``bodies``, shared by the
  messages of one bulk request), when the client has had its answer.
* **Loss window.** SIGTERM/SIGINT (and ``MockServer.stop()``) flush after the callbacks' grace
  period and wait for the writer. A hard kill (``kill -9``, OOM, power) loses what was accepted
  in the last flush interval plus the time the writer took for the batch in hand: everything
  accepted more than ``FLUSH_INTERVAL`` plus one write before the kill is on disk (WAL, committed).
* **Bounds.** Each table is pruned as its journal is: messages and inbound past the oldest one
  in memory, requests past ``journal_size``, OTPs to the newest ``journal_size`` phones,
  finished callbacks oldest first once there are more than ``journal_size``.
* **Resuming.** The clock keeps its offset (time passed while the server was down has passed
  for the mock) or its frozen instant; the random sequence, the message, inbound and callback
  numbers continue, so no id is drawn twice. Messages still on their way get their scheduled
  steps again (:meth:`~mockserver.engine.delivery.Delivery.resume`; overdue steps fire at once,
  stamped at their own instants), pending callbacks their next retry
  (:meth:`~mockserver.engine.callbacks.Dispatcher.resume`).
* **Not kept**: the scenario rules' hit counters and rate-limit buckets, a callback's scenario
  ``delay``/``reorder`` hold (queued at once after a restart), the SMS 2-way answer hook of an
  inbound message still waiting for its customer, strict-mode violations.

The rows are JSON; ``mockserver export`` writes them as JSON lines (:func:`export_lines`) and
``mockserver import`` reads them back (:func:`import_lines`, every line checked before anything
is written).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver.core.datadir import SCHEMA_VERSION, TABLES, DataDirError, connect
from mockserver.core.store import (
    CALLBACK_CHANGED,
    CB_PENDING,
    FINAL_STATES,
    INBOUND_CHANGED,
    MESSAGE_ADDED,
    MESSAGE_FIELDS,
    MESSAGE_STATUS,
    OTP_ADDED,
    RESET,
    CallbackAttempt,
    CallbackRecord,
    InboundRecord,
    Message,
    OtpRecord,
    RequestLog,
    RequestRecord,
)

if TYPE_CHECKING:
    from mockserver.engine.services import Services

log = logging.getLogger("mockserver.persistence")

# Seconds between two flushes: the loss window of a hard kill. The issue asks for 200 ms at
# most; 100 ms halves the rows one flush turns into JSON on the loop under load (and so the
# pause it adds to a request's latency), for a few microseconds per idle flush.
FLUSH_INTERVAL = 0.1
# Messages (new or changed) and journaled requests turned into rows per turn of the event loop:
# a flush with more goes on at the loop's next turn, so that it never holds requests up for more
# than a few milliseconds at a time.
CHUNK = 200
EXPORT_FORMAT = "sms-mockserver-state"

Steps = tuple[tuple[float, str], ...]
Op = tuple[str, list[tuple[Any, ...]]]  # one statement and its parameter rows


# -- rows: each journal entry as JSON-able data, and back ------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def _default(value: Any) -> Any:
    if isinstance(value, bytes):
        return _b64(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


# Compact JSON, ASCII only (a lone surrogate in a text survives as an escape), from one encoder
# built once: the flush encodes a few rows per request, on the event loop.
dumps = json.JSONEncoder(separators=(",", ":"), default=_default, check_circular=False).encode

# What a message's lifecycle changes (rewritten as it moves on), and what never changes after it
# was accepted (written once, with the steps its lifecycle scheduled).
_PROGRESS_FIELDS = ("status", "timeline", "final", "callbacks", "fields")
_MESSAGE_FIELDS = tuple(name for name in MESSAGE_FIELDS if name not in ("request", *_PROGRESS_FIELDS))
_REQUEST_FIELDS = tuple(f.name for f in fields(RequestLog))
_CALLBACK_FIELDS = tuple(f.name for f in fields(CallbackRecord) if f.name not in ("body", "attempts"))


def message_data(message: Message, steps: Steps | None = None) -> dict[str, Any]:
    """What never changes of a message (its request is kept once per request in ``bodies``),
    with the steps its lifecycle scheduled (:meth:`~mockserver.engine.delivery.Delivery.resume`)."""
    data = {name: getattr(message, name) for name in _MESSAGE_FIELDS}
    if steps:
        data["steps"] = steps
    return data


def message_progress(message: Message) -> list[Any]:
    """What its lifecycle changes: status, timeline, final, callbacks, fields."""
    return [message.status, message.timeline, message.final, message.callbacks, message.fields]


def message_from(data: dict[str, Any], progress: list[Any]) -> tuple[Message, Steps | None]:
    values = {name: data[name] for name in _MESSAGE_FIELDS}
    status, timeline, final, callbacks, extra = progress
    if not isinstance(status, str) or not isinstance(final, dict) or not isinstance(extra, dict):
        raise TypeError("progress is [status, timeline, final, callbacks, fields]")
    message = Message(
        **values,
        status=status,
        timeline=tuple((state, at) for state, at in timeline),
        final=final,
        callbacks=tuple(callbacks),
        fields=extra,
    )
    steps = data.get("steps")
    return message, tuple((when, state) for when, state in steps) if steps else None


def body_data(r: RequestRecord) -> dict[str, Any]:
    return {
        "method": r.method,
        "path": r.path,
        "head": _b64(r.head),
        "body": _b64(r.raw_body),
        "status": r.status,
        "answer_head": r.answer_head,
        "answer_body": _b64(r.answer_body),
    }


def body_from(data: dict[str, Any]) -> RequestRecord:
    record = RequestRecord(data["method"], data["path"], _unb64(data["head"]), _unb64(data["body"]))
    record.status, record.answer_head = data["status"], data["answer_head"]
    record.answer_body = _unb64(data["answer_body"])
    return record


def callback_data(record: CallbackRecord) -> dict[str, Any]:
    data = {name: getattr(record, name) for name in _CALLBACK_FIELDS}
    data["body"] = _b64(record.body)
    data["attempts"] = [{f.name: getattr(a, f.name) for f in fields(CallbackAttempt)} for a in record.attempts]
    return data


def callback_from(data: dict[str, Any]) -> CallbackRecord:
    values = {name: data[name] for name in _CALLBACK_FIELDS}
    if values["accept"] is not None:
        values["accept"] = tuple(values["accept"])
    record = CallbackRecord(body=_unb64(data["body"]), **values)
    record.attempts = [CallbackAttempt(**a) for a in data["attempts"]]
    return record


def inbound_data(record: InboundRecord) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(InboundRecord)}


def inbound_from(data: dict[str, Any]) -> InboundRecord:
    record = InboundRecord(**data)
    record.callbacks = tuple(record.callbacks)
    return record


def request_data(entry: RequestLog) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _REQUEST_FIELDS}


# What each table's row must decode to (the import check: a line of an export, its JSON columns parsed).
DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "messages": lambda line: message_from(line["data"], line["progress"]),
    "bodies": lambda line: body_from(line["data"]),
    "callbacks": lambda line: callback_from(line["data"]),
    "inbound": lambda line: inbound_from(line["data"]),
    "requests": lambda line: RequestLog(**line["data"]),
    "otps": lambda line: OtpRecord.from_dict(line["data"]),
}
JSON_COLUMNS = frozenset({"data", "value", "progress"})  # the others are plain strings and numbers
# Columns per table besides ``data`` (meta: ``key``/``value``; vendors: ``name``/``data``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "meta": ("key", "value"),
    "vendors": ("name", "data"),
    "bodies": ("id", "last", "data"),
    "messages": ("id", "seq", "body", "progress", "data"),
    "requests": ("n", "data"),
    "otps": ("key", "n", "data"),
    "callbacks": ("id", "n", "state", "data"),
    "inbound": ("id", "seq", "data"),
}
_ORDER = {
    "meta": "key",
    "vendors": "name",
    "bodies": "last",
    "messages": "seq",
    "requests": "n",
    "otps": "n",
    "callbacks": "n",
    "inbound": "seq",
}


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _jsonable(value: Any) -> Any:
    return [_jsonable(v) for v in value] if isinstance(value, tuple | list) else value


# -- the writer: one thread, its own connection, one transaction per batch ---------------------------
class _Writer:
    """Writes batches of statements off the event loop. A failed batch is logged (and the next
    one tried): the server keeps serving from memory whatever the disk does."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.batches: queue.Queue[list[Op] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="mockserver-persistence", daemon=True)
        self.written = 0  # batches committed (tests, /_mock/ could show it)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self.batches.get()
            if batch is None:
                return
            try:
                write(self.conn, batch)
                self.written += 1
            except sqlite3.Error:
                log.exception("persistence: a batch of %d statement(s) was not written", len(batch))


def write(conn: sqlite3.Connection, batch: list[Op]) -> None:
    """Run ``batch`` in one transaction (all of it, or nothing)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in batch:
            if rows:
                conn.executemany(sql, rows)
            else:
                conn.execute(sql)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


_UPSERT = {
    "messages": "INSERT OR REPLACE INTO messages (id, seq, body, progress, data) VALUES (?, ?, ?, ?, ?)",
    "bodies": "INSERT OR REPLACE INTO bodies (id, last, data) VALUES (?, ?, ?)",
    "requests": "INSERT OR REPLACE INTO requests (n, data) VALUES (?, ?)",
    "otps": "INSERT OR REPLACE INTO otps (key, n, data) VALUES (?, ?, ?)",
    "callbacks": "INSERT OR REPLACE INTO callbacks (id, n, state, data) VALUES (?, ?, ?, ?)",
    "inbound": "INSERT OR REPLACE INTO inbound (id, seq, data) VALUES (?, ?, ?)",
    "vendors": "INSERT OR REPLACE INTO vendors (name, data) VALUES (?, ?)",
    "meta": "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
}


class Persistence:
    """Keeps one world's file up to date (see the module docstring). ``start()`` once the event
    loop runs, ``flush()`` to hand what changed to the writer now, ``close()`` at shutdown."""

    def __init__(self, services: Services[Any], path: Path, conn: sqlite3.Connection) -> None:
        self.services = services
        self.path = path
        self.conn = conn
        self._writer = _Writer(conn)
        self._plans: dict[str, Steps] = {}  # message id -> its scheduled steps, until it is written
        self._new: set[str] = set()  # messages added since the last flush
        self._messages: set[str] = set()  # messages changed since the last flush
        self._unanswered: list[tuple[RequestRecord, list[Any]]] = []  # bodies whose answer is still to come
        self._callbacks: set[str] = set()
        self._inbound: set[str] = set()
        self._otps: dict[str, OtpRecord] = {}
        self._vendors: set[str] = set()
        self._full = False
        self._requests_seen = services.store.requests_seen
        self._otp_n = 0
        self._meta: dict[str, Any] = {}  # as last written
        self._rules: Any = None  # the scenario rule list last written (compared by identity)
        self._handle: asyncio.Handle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    # -- restoring ----------------------------------------------------------------------------
    def restore(self) -> bool:
        """Load the file into the services (freshly built from the config); False for a new file.
        Rows that do not decode are a :class:`DataDirError`: never a silent reset."""
        services, store = self.services, self.services.store
        try:
            meta = {key: json.loads(value) for key, value in self.conn.execute("SELECT key, value FROM meta")}
            if not meta:
                return False
            rows = {t: list(self._rows(t)) for t in ("requests", "otps", "callbacks", "inbound")}
            saved_bodies = self.conn.execute("SELECT id, data FROM bodies")
            bodies = {key: body_from(json.loads(data)) for key, data in saved_bodies}
            vendors = {name: json.loads(data) for name, data in self.conn.execute("SELECT name, data FROM vendors")}
            services.clock.restore_state(meta["clock"])
            services.rng.setstate(_tuples(meta["rng"]))
            resume: list[tuple[Message, Steps]] = []
            for body, progress, data in self.conn.execute("SELECT body, progress, data FROM messages ORDER BY seq"):
                message, steps = message_from(json.loads(data), json.loads(progress))
                message.request = bodies.get(body) if body is not None else None
                store.restore_message(message)
                if steps and message.status not in FINAL_STATES and not message.final.get("cancelled"):
                    resume.append((message, steps))
            for data in rows["requests"]:
                store.requests.append(RequestLog(**data))
            for data in rows["otps"]:
                store.add_otp(OtpRecord.from_dict(data))
            for data in rows["callbacks"]:
                record = callback_from(data)
                store.callbacks[record.id] = record
            for data in rows["inbound"]:
                inbound = inbound_from(data)
                store.inbound[inbound.id] = inbound
            while len(store.inbound) > store.journal_size:  # a smaller --journal-size than last time
                store.inbound.popitem(last=False)
            store.set_counters(meta.get("store", {}))
            self._requests_seen = store.requests_seen
            self._otp_n = self.conn.execute("SELECT coalesce(max(n), 0) FROM otps").fetchone()[0]
            if "scenarios" in meta and not services.scenarios.restore_state(meta["scenarios"]):
                log.warning(
                    "%s: started with other scenario files than the saved state; its scenario rules are not restored",
                    self.path,
                )
            for name, vendor in services.vendors.items():
                if name in vendors:
                    vendor.restore(vendors[name])
            for message, steps in resume:
                services.delivery.resume(message, steps)
            services.callbacks.resume(meta.get("callbacks"))
        except (KeyError, TypeError, ValueError, sqlite3.Error) as exc:
            raise DataDirError(f"{self.path}: cannot restore the saved state ({type(exc).__name__}: {exc})") from None
        self._meta = meta
        # Restored rules need no writing; declined ones (other scenario files) are replaced on disk.
        startup = services.scenarios.saved_state()["startup"]
        restored = "scenarios" in meta and meta["scenarios"].get("startup") == startup
        self._rules = services.scenarios.rules if restored else None
        return True

    def _rows(self, table: str) -> Iterator[Any]:
        for (data,) in self.conn.execute(f"SELECT data FROM {table} ORDER BY {_ORDER[table]}"):
            yield json.loads(data)

    # -- running ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen to the store's changes and flush every ``FLUSH_INTERVAL`` from now on."""
        self.start_now()

    def start_now(self) -> None:
        """:meth:`start` from synchronous code on the running loop (a namespace created mid-request)."""
        services = self.services
        services.store.add_listener(self._on_change)
        services.delivery.planned = self._planned
        self._writer.start()
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_later(FLUSH_INTERVAL, self._tick)

    def _tick(self) -> None:
        more = False
        try:
            more = self.flush(CHUNK)
        except Exception:  # a bug here must not stop the next flush
            log.exception("persistence: flush failed")
        if not self._closed and self._loop is not None:
            if more:  # the rest of this flush, once the requests waiting meanwhile had their turn
                self._handle = self._loop.call_soon(self._tick)
            else:
                self._handle = self._loop.call_later(FLUSH_INTERVAL, self._tick)

    async def close(self) -> None:
        """The last flush, then wait (off the loop) until the writer has written everything."""
        if self._closed:
            return
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()
        services = self.services
        services.store.remove_listener(self._on_change)
        services.delivery.planned = None
        self.flush()
        self._writer.batches.put(None)
        if self._writer.thread.is_alive():
            await asyncio.get_running_loop().run_in_executor(None, self._writer.thread.join)
        self.conn.close()

    def _planned(self, message: Message, steps: Steps) -> None:
        self._plans[message.id] = steps

    def _on_change(self, kind: str, obj: Any) -> None:
        if kind == MESSAGE_STATUS:
            self._messages.add(obj.id)
            self._vendors.add(obj.vendor)
        elif kind == MESSAGE_ADDED:
            self._new.add(obj.id)
            self._vendors.add(obj.vendor)
        elif kind == CALLBACK_CHANGED:
            self._callbacks.add(obj.id)
            self._messages.update(obj.message_ids)  # their ``callbacks`` lists name it
        elif kind == OTP_ADDED:
            self._otps[f"{obj.vendor}|{_digits(obj.phone)}"] = obj
            self._vendors.add(obj.vendor)
        elif kind == INBOUND_CHANGED:
            self._inbound.add(obj.id)
            self._vendors.add(obj.vendor)
        elif kind == RESET:
            self._full = True

    def flush(self, limit: int | None = None) -> bool:
        """Hand what changed since the last flush to the writer (never waits for it): all of it,
        or about ``limit`` messages and requests; True when some is left for the next call."""
        batch, more = self.collect(limit)
        if batch:
            self._writer.batches.put(batch)
        return more

    def collect(self, limit: int | None = None) -> tuple[list[Op], bool]:
        """What changed since the last call (up to ``limit`` new or changed messages and
        journaled requests), as statements, and whether more is left (on the loop: it reads live
        objects)."""
        services, store = self.services, self.services.store
        size = store.journal_size
        batch: list[Op] = []
        rows: list[tuple[Any, ...]]
        if self._full:
            self._full = False
            batch += [(f"DELETE FROM {t}", []) for t in TABLES if t != "meta"]
            self._new, self._messages = set(store.messages), set()
            self._callbacks = set(store.callbacks)
            self._inbound = set(store.inbound)
            self._otps = {f"{o.vendor}|{_digits(o.phone)}": o for o in store.otps.values()}
            self._vendors = set(services.vendors)
            self._requests_seen = store.requests_seen - len(store.requests)
            self._plans = {k: v for k, v in self._plans.items() if k in store.messages}  # the resumed ones
        # requests: append-only, numbered by ``requests_seen``; the oldest not written go first
        waiting = min(store.requests_seen - self._requests_seen, len(store.requests))  # the others fell off
        if waiting > 0:
            take = waiting if limit is None else min(waiting, limit)
            taken = list(itertools.islice(reversed(store.requests), waiting - take, waiting))[::-1]
            first = store.requests_seen - waiting + 1
            batch.append((_UPSERT["requests"], [(first + i, dumps(request_data(e))) for i, e in enumerate(taken)]))
            batch.append(("DELETE FROM requests WHERE n <= ?", [(store.requests_seen - size,)]))
            self._vendors.update(e.vendor for e in taken)
            self._requests_seen = first + take - 1
        if self._new or self._messages or self._unanswered:
            batch += self._collect_messages(store, limit)
        if self._otps:
            rows = []
            for key, otp in self._otps.items():
                self._otp_n += 1
                rows.append((key, self._otp_n, dumps(otp.to_dict())))
            self._otps = {}
            batch.append((_UPSERT["otps"], rows))
            batch.append(
                ("DELETE FROM otps WHERE n <= (SELECT n FROM otps ORDER BY n DESC LIMIT 1 OFFSET ?)", [(size,)])
            )
        if self._callbacks:
            rows = []
            for callback_id in self._callbacks:
                record = store.callbacks.get(callback_id)
                if record is not None:
                    number = int(record.id.rpartition("-")[2])
                    rows.append((record.id, number, record.state, dumps(callback_data(record))))
            self._callbacks = set()
            batch.append((_UPSERT["callbacks"], rows))
            prune = (
                "DELETE FROM callbacks WHERE id IN (SELECT id FROM callbacks WHERE state != ? ORDER BY n "
                "LIMIT max(0, (SELECT count(*) FROM callbacks) - ?))"
            )
            batch.append((prune, [(CB_PENDING, size)]))
        if self._inbound:
            rows = [(r.id, r.seq, dumps(inbound_data(r))) for i in self._inbound if (r := store.inbound.get(i))]
            self._inbound = set()
            batch.append((_UPSERT["inbound"], rows))
            if store.inbound:
                batch.append(("DELETE FROM inbound WHERE seq < ?", [(next(iter(store.inbound.values())).seq,)]))
        if self._vendors:
            rows = []
            for name in sorted(self._vendors):
                vendor = services.vendors.get(name)
                if vendor is not None:
                    rows.append((name, dumps(vendor.state())))
            self._vendors = set()
            batch.append((_UPSERT["vendors"], rows))
        meta = self._meta_now(drawn=bool(batch))
        changed = [(key, dumps(value)) for key, value in meta.items() if self._meta.get(key) != value]
        if changed or batch:
            self._meta.update(meta)
            batch.append((_UPSERT["meta"], changed or [("schema", dumps(SCHEMA_VERSION))]))
        more = bool(self._new or self._messages or store.requests_seen > self._requests_seen)
        return batch, more

    def _collect_messages(self, store: Any, limit: int | None) -> list[Op]:
        """New messages with the key of their request (each request once: a bulk request's
        messages share it; a request still waiting for its answer is written once it has one),
        changed messages' data only, and the pruning."""
        plans = self._plans
        kept: dict[int, list[Any]] = {}  # id(request) -> [key, last seq, request]: during this call only
        added, changed = [], []
        budget = len(self._new) + len(self._messages) if limit is None else limit
        while self._new and budget > 0:
            message_id = self._new.pop()
            budget -= 1
            self._messages.discard(message_id)  # written whole, with its progress as it is now
            message = store.messages.get(message_id)
            if message is None:
                plans.pop(message_id, None)
                continue
            key = None
            record = message.request
            if record is not None:
                entry = kept.get(id(record))
                if entry is None:
                    entry = kept[id(record)] = [message.id, message.seq, record]
                entry[1] = max(entry[1], message.seq)
                key = entry[0]
            data = dumps(message_data(message, plans.pop(message_id, None)))
            added.append((message.id, message.seq, key, dumps(message_progress(message)), data))
        while self._messages and budget > 0:
            message_id = self._messages.pop()
            if message_id in self._new:
                continue  # it is written whole, with its progress as it is then
            budget -= 1
            message = store.messages.get(message_id)
            if message is not None:
                changed.append((dumps(message_progress(message)), message_id))
        bodies: list[tuple[Any, ...]] = []
        waiting: list[tuple[RequestRecord, list[Any]]] = []
        for record, entry in [*self._unanswered, *((e[2], e) for e in kept.values())]:
            if record.status is None and len(waiting) < 10_000:
                waiting.append((record, entry))  # the handler has not answered yet: next time
            else:
                bodies.append((entry[0], entry[1], dumps(body_data(record))))
        self._unanswered = waiting
        batch: list[Op] = [(_UPSERT["bodies"], bodies), (_UPSERT["messages"], added)]
        batch.append(("UPDATE messages SET progress = ? WHERE id = ?", changed))
        first = store.oldest_message()
        if first is not None:
            oldest = first.seq
            batch.append(("DELETE FROM messages WHERE seq < ?", [(oldest,)]))
            batch.append(("DELETE FROM bodies WHERE last < ?", [(oldest,)]))
        return [op for op in batch if op[1]]

    def _meta_now(self, *, drawn: bool) -> dict[str, Any]:
        """The server-wide state to compare with what was last written. The random sequences are
        read only when something happened (``drawn``: a request, a message, a callback...): an
        idle server's flush then costs a few microseconds."""
        services = self.services
        meta: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "clock": services.clock.saved_state(),
            "store": services.store.counters(),
        }
        if drawn or "rng" not in self._meta:
            meta["rng"] = _jsonable(services.rng.getstate())
            meta["callbacks"] = services.callbacks.saved_state()
        rules = services.scenarios.rules
        if rules is not self._rules or "scenarios" not in self._meta:
            self._rules = rules
            meta["scenarios"] = json.loads(dumps(services.scenarios.saved_state()))
        return meta


def attach(services: Services[Any], path: Path) -> Persistence:
    """Open the world at ``path`` (created if new), restore it into ``services`` and return the
    :class:`Persistence` that keeps it; :class:`DataDirError` for a file that cannot be used."""
    path.parent.mkdir(parents=True, exist_ok=True)
    persistence = Persistence(services, path, connect(path))
    try:
        persistence.restore()
    except DataDirError:
        persistence.conn.close()
        raise
    return persistence


# -- export and import: a world as JSON lines --------------------------------------------------------
def export_lines(path: Path, namespace: str) -> Iterator[str]:
    """The world at ``path`` as JSON lines: a header, then one line per row, table by table."""
    conn = connect(path)
    try:
        yield dumps({"format": EXPORT_FORMAT, "schema": SCHEMA_VERSION, "namespace": namespace})
        for table in TABLES:
            columns = COLUMNS[table]
            order = _ORDER[table]
            for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"):
                line = dict(zip(columns, row, strict=True))
                for column in JSON_COLUMNS.intersection(columns):
                    line[column] = json.loads(line[column])
                yield dumps({"table": table, **line})
    finally:
        conn.close()


class ImportRefused(ValueError):
    """A bad line of an import file: ``str()`` names the line."""


# The exact types of the plain columns and of ``progress`` in an import file (``data`` and
# ``value`` are checked by decoding them).
_COLUMN_TYPES: dict[str, tuple[type, ...]] = {
    "seq": (int,),
    "n": (int,),
    "last": (int,),
    "id": (str,),
    "key": (str,),
    "name": (str,),
    "state": (str,),
    "body": (str, type(None)),
    "progress": (list,),
}


def check_lines(lines: Iterable[str]) -> tuple[dict[str, Any], list[Op]]:
    """Every line checked (JSON, a known table, its columns, data that decodes) before anything
    is written: (the header, the statements that write the rows). :class:`ImportRefused` with
    the line number at the first bad line."""
    header: dict[str, Any] | None = None
    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue

        def bad(why: str, number: int = number) -> ImportRefused:
            return ImportRefused(f"line {number}: {why}")

        try:
            line = json.loads(text)
        except ValueError as exc:
            raise bad(f"not JSON ({exc})") from None
        if not isinstance(line, dict):
            raise bad("not a JSON object")
        if header is None:
            if line.get("format") != EXPORT_FORMAT:
                raise bad(f'the first line must be the header {{"format": "{EXPORT_FORMAT}", ...}}')
            if not isinstance(line.get("schema"), int) or line["schema"] > SCHEMA_VERSION:
                raise bad(f"schema {line.get('schema')!r}: this server reads schema {SCHEMA_VERSION} or older")
            header = line
            continue
        table = line.pop("table", None)
        if table not in COLUMNS:
            raise bad(f"unknown table {table!r} (known: {', '.join(TABLES)})")
        columns = COLUMNS[table]
        if set(line) != set(columns):
            raise bad(f"a {table} line has exactly {', '.join(columns)}; got {', '.join(sorted(line)) or 'nothing'}")
        decode = DECODERS.get(table)
        try:
            for column in columns:
                wanted = _COLUMN_TYPES.get(column)
                if wanted is not None and type(line[column]) not in wanted:
                    raise TypeError(f"{column} is not {' or '.join(t.__name__ for t in wanted)}")
            if decode is not None:
                if not isinstance(line["data"], dict):
                    raise TypeError("data is not an object")
                decode(line)
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"a {table} row that does not decode ({type(exc).__name__}: {exc})") from None
        rows[table].append(tuple(dumps(line[c]) if c in JSON_COLUMNS else line[c] for c in columns))
    if header is None:
        raise ImportRefused("line 1: empty file (no header)")
    batch: list[Op] = [(f"DELETE FROM {t}", []) for t in TABLES]
    batch += [(_UPSERT[t], rows[t]) for t in TABLES if rows[t]]
    return header, batch


def import_lines(path: Path, lines: Iterable[str]) -> dict[str, Any]:
    """Replace the world at ``path`` with the rows of ``lines`` (checked first, then written in
    one transaction: a bad file writes nothing). Returns the header."""
    header, batch = check_lines(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        write(conn, batch)
    finally:
        conn.close()
    return header
