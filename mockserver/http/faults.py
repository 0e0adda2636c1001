"""Network faults on the real connection, as a client sees them from a broken vendor.

The vendor middleware performs these when a scenario answers with ``fault:`` (raised by the
engine as :class:`~mockserver.engine.scenarios.Fault`), or dribbles the body for ``slow_body``:

=====================  =========================================================================
``connection_reset``   TCP RST (SO_LINGER 0, then close): ``ClientOSError`` / ECONNRESET
``empty_response``     orderly close (FIN) before any byte: ``ServerDisconnectedError``
``malformed_response`` bytes that are not HTTP, then close: the client's parser fails
``timeout``            no answer until the client gives up, or ``after`` seconds, then close
``slow_body``          the real answer, its body written in ``chunks`` pieces over ``duration``
=====================  =========================================================================

Nothing here blocks the event loop; a hanging request notices the client's close by polling
the transport, so timeouts never leak tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

from aiohttp import web

from mockserver.engine.scenarios import Fault, SlowBody

NO_ANSWER = 0  # the journal's status for a request that got no HTTP answer
_POLL = 0.05  # seconds between checks that a hanging client is still there


def _reset(request: web.Request) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _close(request: web.Request) -> None:
    transport = request.transport
    if transport is not None and not transport.is_closing():
        transport.close()


async def _hang(request: web.Request, after: float | None) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + after if after is not None else None
    while True:
        transport = request.transport
        if transport is None or transport.is_closing():
            return  # the client gave up
        if deadline is not None:
            left = deadline - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(min(_POLL, left))
        else:
            await asyncio.sleep(_POLL)


async def perform(request: web.Request, fault: Fault) -> web.StreamResponse:
    """Break the connection as ``fault`` says; the returned response is never written (the
    transport is closed, and aiohttp drops the write quietly)."""
    if fault.kind == "connection_reset":
        _reset(request)
    elif fault.kind == "empty_response":
        _close(request)
    elif fault.kind == "malformed_response":
        transport = request.transport
        if transport is not None and not transport.is_closing():
            transport.write(fault.body)
        _close(request)
    elif fault.kind == "timeout":
        await _hang(request, fault.after)
        _close(request)
    else:  # pragma: no cover - the schema allows no other kind
        raise ValueError(f"unknown fault {fault.kind}")
    return web.Response()


async def dribble(request: web.Request, response: web.Response, slow: SlowBody) -> web.StreamResponse:
    """Send ``response`` with its body in ``slow.chunks`` pieces spread over ``slow.duration``."""
    body = response.body
    if not isinstance(body, bytes | bytearray):
        return response
    stream = web.StreamResponse(status=response.status, reason=response.reason, headers=response.headers)
    stream.content_length = len(body)
    size = max(1, -(-len(body) // max(1, slow.chunks)))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    pause = slow.duration / len(pieces)  # the last piece completes the body at ``duration``
    try:
        await stream.prepare(request)
        for piece in pieces:
            await asyncio.sleep(pause)
            if piece:
                await stream.write(piece)
    except ConnectionError:
        pass  # the client went away mid-body
    return stream
