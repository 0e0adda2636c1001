"""The web inbox (``/_mock/ui/``) and the few ``/_mock/`` endpoints it needs beyond the JSON API.

==========================================  ====================================================
``GET /_mock/ui/``                          the inbox: static HTML, CSS and JS from
                                            ``mockserver/ui/`` (nothing fetched from the internet)
``GET /_mock/events``                       server-sent events: ``hello`` on connect, then
                                            ``message`` (a message was accepted or changed state;
                                            the message as in ``GET /_mock/messages``),
                                            ``deleted`` (``{"id", "seq", "vendor"}``: a
                                            message was removed, drop its row),
                                            ``callback`` (a callback was queued or attempted),
                                            ``otp``, ``inbound`` (a subscriber's SMS, see
                                            ``/_mock/inbound``), ``reset``, ``resync`` (too much changed at
                                            once: fetch again) and a ``clock`` heartbeat
``GET /_mock/stats``                        counts: messages per vendor and per status,
                                            callbacks per state, OTPs
``GET /_mock/samples``                      one ready request per vendor (``sample_send``) with
                                            a curl line for the address the caller used
==========================================  ====================================================

Live updates cost nothing while no browser is connected: the hub subscribes to the store's
change events when the first stream opens and unsubscribes when the last one closes. Each
stream coalesces changes per object (a message that is accepted, sent and delivered within one
flush window is sent once, in its latest state), so a load test does not flood a browser; if
more than ``MAX_PENDING`` objects change between two flushes the stream sends ``resync``
instead and the page fetches the list again.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.core.store import (
    CALLBACK_CHANGED,
    INBOUND_CHANGED,
    MESSAGE_ADDED,
    MESSAGE_DELETED,
    MESSAGE_STATUS,
    OTP_ADDED,
    RESET,
)
from mockserver.http.vendor import compact_json, json_response

if TYPE_CHECKING:
    from mockserver.engine.services import Services

log = logging.getLogger("mockserver.webui")

UI_DIR = Path(__file__).with_name("ui")
HEARTBEAT = 10.0  # seconds between clock heartbeats (also detects closed streams)
FLUSH_WINDOW = 0.05  # seconds a stream waits to coalesce a burst of changes
MAX_PENDING = 2000  # changed objects kept per stream before it asks the page to resync
SAMPLE_RECIPIENT = 0  # sample_recipient(0): not one of the magic numbers (1.. and 900..903)


@dataclass(eq=False)
class _Stream:
    """One connected browser: the objects changed since its last flush, newest state wins."""

    pending: dict[tuple[str, str], tuple[str, Any]] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closing: bool = False

    def push(self, kind: str, obj: Any) -> None:
        pending = self.pending
        if kind == RESET:
            pending.clear()
            pending["reset", ""] = ("reset", None)
        elif ("resync", "") in pending:
            pass  # the page fetches everything anyway
        elif len(pending) >= MAX_PENDING:
            pending.clear()
            pending["resync", ""] = ("resync", None)
        elif kind in (MESSAGE_ADDED, MESSAGE_STATUS):
            pending["message", obj.id] = ("message", obj)
        elif kind == MESSAGE_DELETED:
            # An unsent state of it is moot now; a message journaled again under the same id
            # (ANTS reuses a client's messageId once it is free) comes after this, in order.
            pending.pop(("message", obj.id), None)
            pending["deleted", obj.id] = ("deleted", obj)
        elif kind == CALLBACK_CHANGED:
            pending["callback", obj.id] = ("callback", obj)
        elif kind == INBOUND_CHANGED:
            pending["inbound", obj.id] = ("inbound", obj)
        elif kind == OTP_ADDED:
            pending["otp", f"{obj.vendor}:{obj.phone}:{obj.created_at}"] = ("otp", obj)
        else:
            return
        self.wake.set()


class EventHub:
    """Fans the store's change events out to every open ``/_mock/events`` stream."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.streams: set[_Stream] = set()

    def _on_change(self, kind: str, obj: Any) -> None:
        for stream in self.streams:
            stream.push(kind, obj)

    def open(self) -> _Stream:
        stream = _Stream()
        if not self.streams:
            self.services.store.add_listener(self._on_change)
        self.streams.add(stream)
        return stream

    def close(self, stream: _Stream) -> None:
        self.streams.discard(stream)
        if not self.streams:
            self.services.store.remove_listener(self._on_change)

    def shutdown(self) -> None:
        for stream in self.streams:
            stream.closing = True
            stream.wake.set()


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + compact_json(data) + b"\n\n"


def _encode(kind: str, obj: Any) -> bytes:
    if kind == "deleted":  # what the page needs to drop the row and to know whether it had counted it
        return _sse(kind, {"id": obj.id, "seq": obj.seq, "vendor": obj.vendor})
    return _sse(kind, obj.to_dict() if obj is not None else {})


def stats(services: Services) -> dict[str, Any]:
    store = services.store
    by_vendor: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    for message in store.messages.values():
        by_vendor[message.vendor] += 1
        by_status[message.status] += 1
    callbacks = Counter(record.state for record in store.callbacks.values())
    return {
        "messages": {
            "total": len(store.messages),
            "by_vendor": {name: by_vendor.get(name, 0) for name in sorted(services.vendors)},
            "by_status": dict(by_status),
            "dropped": store.dropped_messages,
            "seq": store.last_seq,  # the newest message these counts include (the inbox's live counts)
        },
        "callbacks": {"total": len(store.callbacks), "by_state": dict(callbacks)},
        "otps": len(store.otps),
    }


def clock_state(services: Services) -> dict[str, Any]:
    clock = services.clock
    return {"now": clock.now(), "iso": clock.datetime().isoformat(), "frozen": clock.frozen}


def curl_line(method: str, url: str, headers: dict[str, str], body: bytes) -> str:
    parts = ["curl", "-sS"]
    if method != "GET" or body:
        parts += ["-X", method]
    parts.append(url)
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    if body:
        parts += ["--data-binary", body.decode("utf-8", "replace")]
    return " ".join(shlex.quote(p) for p in parts)


def register(app: web.Application, services: Services) -> None:
    """Add the inbox and its endpoints to the ``/_mock`` application (the scenario switch it
    shows is ``mockserver.inspection.scenario_api``'s ``GET /scenario/files`` and ``PUT /scenario``)."""
    hub = EventHub(services)
    routes = web.RouteTableDef()

    @routes.get("/ui")
    async def ui_redirect(_: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("ui/")

    @routes.get("/ui/")
    async def ui_index(_: web.Request) -> web.StreamResponse:
        return web.FileResponse(UI_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    @routes.get("/stats")
    async def get_stats(_: web.Request) -> web.Response:
        return json_response(stats(services))

    @routes.get("/samples")
    async def samples(request: web.Request) -> web.Response:
        # Under /ns/<name>/_mock/ the samples go to that namespace: its prefix goes in front.
        base = f"{request.scheme}://{request.host}{request.path[: request.path.rfind('/_mock/')]}"
        out = []
        for vendor in services.vendors.values():
            try:
                sample = vendor.sample_send(vendor.sample_recipient(SAMPLE_RECIPIENT))
            except NotImplementedError:
                continue
            headers = dict(sample.headers)
            url = base + sample.path
            out.append(
                {
                    "vendor": vendor.name,
                    "title": vendor.title,
                    "operation": sample.operation,
                    "method": sample.method,
                    "url": url,
                    "headers": headers,
                    "body": sample.body.decode("utf-8", "replace"),
                    "curl": curl_line(sample.method, url, headers, sample.body),
                }
            )
        return json_response({"samples": out})

    @routes.get("/events")
    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        stream = hub.open()
        try:
            hello = {"clock": clock_state(services), "stats": stats(services), "heartbeat": HEARTBEAT}
            await response.write(b"retry: 1000\n" + _sse("hello", hello))
            while not stream.closing:
                try:
                    await asyncio.wait_for(stream.wake.wait(), HEARTBEAT)
                except TimeoutError:
                    await response.write(_sse("clock", clock_state(services)))
                    continue
                await asyncio.sleep(FLUSH_WINDOW)  # let a burst settle into one write
                stream.wake.clear()
                batch, stream.pending = stream.pending, {}
                if batch:
                    await response.write(b"".join(_encode(kind, obj) for kind, obj in batch.values()))
        except ConnectionError:
            pass  # the browser went away
        finally:
            hub.close(stream)
        return response

    app.add_routes(routes)
    app.router.add_static("/ui/", UI_DIR, append_version=False)

    async def on_shutdown(_: web.Application) -> None:
        hub.shutdown()  # end open streams so that a stopping server does not wait for them

    app.on_shutdown.append(on_shutdown)
