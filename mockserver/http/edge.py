"""The HTTP edge: how the server listens, so that slow or numerous clients cannot wear it down.

``serve(app, host, port, settings)`` is how ``mockserver serve`` and :class:`~mockserver.embed.MockServer`
start listening. What it adds to a plain ``TCPSite``, and where each limit lives:

==========================  ===========================================================================
``header_timeout`` (10 s)   a new connection must send a complete request head (up to the blank line)
                            within it, else it is closed. aiohttp has no option for this, so each
                            connection's protocol (made by the runner's public ``web.Server`` factory)
                            is wrapped in :class:`_Watched`, which only looks for the end of the head
                            (``\\r\\n\\r\\n``) and parses nothing. It times the *first* head of a
                            connection: later ones on a kept-alive connection cannot be told from body
                            bytes without parsing HTTP; ``max_connections`` bounds those.
``body_timeout`` (30 s)     a request must send its whole body within it: ``Call.raw`` reads the body
                            under this deadline and answers the vendor's bad-body error when it
                            passes (aiohttp then closes the connection, the body being unread).
``keepalive_timeout`` (15)  an idle kept-alive connection is closed (aiohttp's own ``keepalive_timeout``).
``max_connections`` (1000)  open connections at most, lowered to fit the process's file limit with
                            room for callbacks and files; a connection over the cap is closed at once.
``backlog`` (1024)          connections the kernel queues before they are accepted, passed to
                            ``listen()`` by ``loop.create_server(backlog=...)``. A connection that
                            finds the queue full has its SYN dropped and retried by the client's
                            kernel after a second, so a burst of N simultaneous connects needs a
                            backlog of N: 1024 takes 500 at once twice over and matches
                            ``max_connections`` (a deeper queue would only hold connections the cap
                            closes). Linux caps it at ``net.core.somaxconn`` without a word (4096
                            since 5.4, 128 before): :func:`serve` logs one warning when the cap is
                            lower.
==========================  ===========================================================================

Running out of file descriptors anyway (another process of the same user, a tiny ``ulimit``) makes
asyncio log one traceback per failed ``accept()``, and aiohttp one per broken request: the
:class:`OncePerInterval` filter turns each kind into one line per :data:`LOG_INTERVAL` with a count
of the ones it held back.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from aiohttp import web

log = logging.getLogger("mockserver.edge")

LOG_INTERVAL = 10.0  # seconds between two log lines of one repeated kind
FD_RESERVE = 128  # descriptors kept free of client connections: callbacks, files, the listener
HEAD_ENDS = (b"\r\n\r\n", b"\n\n")  # a request head ends with an empty line
SOMAXCONN = Path("/proc/sys/net/core/somaxconn")  # Linux's cap on every listen() backlog
# Log messages that come in floods when clients misbehave or descriptors run out.
FLOODING = {
    "asyncio": ("socket.accept() out of system resource",),
    "aiohttp.server": ("Error handling request",),
    "mockserver.edge": ("connection refused: ",),
}


@dataclass(frozen=True)
class EdgeSettings:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: float = 15.0
    max_connections: int = 1000
    backlog: int = 1024

    @classmethod
    def from_config(cls, server: dict[str, Any], **overrides: Any) -> EdgeSettings:
        """From the config's ``server:`` section; ``overrides`` (CLI flags) that are not None win."""
        names = cls.__dataclass_fields__
        values = {k: v for k, v in server.items() if k in names}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def connection_cap(self) -> int:
        """``max_connections``, lowered to what the soft file limit leaves after :data:`FD_RESERVE`."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - FD_RESERVE))


def somaxconn() -> int | None:
    """The kernel's cap on a listen backlog (``net.core.somaxconn``); None where there is none to
    read (not Linux, or /proc hidden)."""
    try:
        return int(SOMAXCONN.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def effective_backlog(backlog: int) -> int:
    """The backlog ``listen(backlog)`` really gets: Linux silently lowers it to ``somaxconn``."""
    cap = somaxconn()
    return backlog if cap is None else min(backlog, cap)


_warned_backlogs: set[tuple[int, int]] = set()  # (configured, cap) pairs already warned about


def warn_if_capped(backlog: int) -> None:
    """Log once per process (per configured value) when the kernel will cap ``backlog``: nothing
    else would tell, and the symptom (connects that take one second more in a burst) looks like
    a slow server."""
    cap = somaxconn()
    if cap is None or cap >= backlog or (backlog, cap) in _warned_backlogs:
        return
    _warned_backlogs.add((backlog, cap))
    log.warning(
        "server.backlog is %d but the kernel caps it at net.core.somaxconn = %d: beyond %d connects at once,"
        " clients wait a second for a SYN retry (raise it: sysctl -w net.core.somaxconn=%d)",
        backlog,
        cap,
        cap,
        backlog,
    )


class OncePerInterval(logging.Filter):
    """Lets one record of each flooding kind through per interval, as one line (no traceback),
    naming how many were held back since the last one."""

    def __init__(self, prefixes: tuple[str, ...], interval: float = LOG_INTERVAL) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.interval = interval
        self.last: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        kind = next((p for p in self.prefixes if message.startswith(p)), None)
        if kind is None:
            return True
        now = time.monotonic()
        last, held = self.last.get(kind, (None, 0))
        if last is not None and now - last < self.interval:
            self.last[kind] = (last, held + 1)
            return False
        self.last[kind] = (now, 0)
        text = record.getMessage()
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            text += f": {type(exc).__name__}: {exc}".split("\n", 1)[0]
        if held and last is not None:
            text += f" ({held} more like it in the last {now - last:.0f}s not logged)"
        record.msg, record.args, record.exc_info, record.exc_text = text, None, None, None
        return True


def quiet_floods() -> None:
    """Install :class:`OncePerInterval` on the loggers that flood (once per process)."""
    for name, prefixes in FLOODING.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, OncePerInterval) for f in logger.filters):
            logger.addFilter(OncePerInterval(prefixes))


@dataclass
class Connections:
    """The open connections of one listener, for the cap (and for tests and health figures)."""

    cap: int
    header_timeout: float
    open: int = 0
    refused: int = 0  # over the cap
    timed_out: int = 0  # no complete request head in time
    watched: set[_Watched] = field(default_factory=set)


class _Watched(asyncio.Protocol):
    """One connection's aiohttp protocol, with a deadline for its first request head and a place
    in the count of open connections. Everything else is passed straight through."""

    def __init__(self, inner: asyncio.Protocol, connections: Connections) -> None:
        self.inner = inner
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.tail = b""  # the last bytes seen, for a head end split across two reads
        self.started = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # No isinstance check: uvloop's transports do all a Transport does without subclassing
        # it, and asserting it refused every connection under uvloop.
        self.transport = cast(asyncio.Transport, transport)
        conns = self.connections
        if conns.open >= conns.cap:
            conns.refused += 1
            log.warning("connection refused: %d connections open (server.max_connections)", conns.open)
            self.transport.abort()
            return
        conns.open += 1
        conns.watched.add(self)
        self.started = True
        self.timer = asyncio.get_running_loop().call_later(conns.header_timeout, self._too_slow)
        self.inner.connection_made(transport)

    def _too_slow(self) -> None:
        self.timer = None
        self.connections.timed_out += 1
        if self.transport is not None:
            self.transport.abort()  # at once: a slow client must not hold the descriptor any longer

    def data_received(self, data: bytes) -> None:
        if self.timer is not None:
            seen = self.tail + data
            if any(end in seen for end in HEAD_ENDS):
                self.timer.cancel()
                self.timer = None
                self.tail = b""
            else:
                self.tail = seen[-3:]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if not self.started:
            return
        self.started = False
        self.connections.open -= 1
        self.connections.watched.discard(self)
        self.inner.connection_lost(exc)


class Listener:
    """A running server: ``port``, ``connections`` and ``close()`` (stops listening and lets
    the runner finish the open requests)."""

    def __init__(self, runner: web.AppRunner, server: asyncio.Server, connections: Connections) -> None:
        self.runner = runner
        self.server = server
        self.connections = connections

    @property
    def addresses(self) -> list[Any]:
        return [sock.getsockname() for sock in self.server.sockets]

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    async def close(self) -> None:
        """Stop accepting, then the runner's cleanup: open requests finish within its
        ``shutdown_timeout``, then ``on_cleanup`` (the callbacks' grace period) runs."""
        self.server.close()
        await self.runner.cleanup()


async def serve(
    app: web.Application,
    host: str,
    port: int,
    settings: EdgeSettings,
    *,
    shutdown_timeout: float = 2.0,
    reuse_address: bool = True,
) -> Listener:
    """Listen on ``host:port`` with the edge's limits; raises ``OSError`` when it cannot (the
    runner is cleaned up then)."""
    quiet_floods()
    warn_if_capped(settings.backlog)
    runner = web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        shutdown_timeout=shutdown_timeout,
        keepalive_timeout=settings.keepalive_timeout,
    )
    await runner.setup()
    connections = Connections(cap=settings.connection_cap(), header_timeout=settings.header_timeout)
    factory = runner.server  # web.Server: aiohttp's public protocol factory
    assert factory is not None
    loop = asyncio.get_running_loop()
    try:
        server = await loop.create_server(  # asyncio and uvloop both pass backlog to listen()
            lambda: _Watched(factory(), connections),
            host,
            port,
            backlog=settings.backlog,
            reuse_address=reuse_address,
        )
    except BaseException:
        await runner.cleanup()
        raise
    return Listener(runner, server, connections)
