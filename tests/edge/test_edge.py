"""The HTTP edge with raw sockets: slow heads are closed, the connection cap holds, idle
keep-alive connections go, slow bodies get the vendor's error, floods log one line."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from mockserver.embed import MockServer
from mockserver.http.edge import Connections, OncePerInterval, _Watched


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> float:
    """Seconds until the server closed the connection (reads EOF), failing after ``seconds``."""
    started = time.monotonic()
    while await asyncio.wait_for(reader.read(65536), seconds):
        pass
    return time.monotonic() - started


async def health(mock: MockServer) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
    writer.write(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return answer


async def test_a_connection_that_sends_its_head_slowly_is_closed() -> None:
    async with MockServer({"server": {"header_timeout": 0.5}}, scenario=[]) as mock:
        reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
        writer.write(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line: never done
        for _ in range(3):  # a header every 0.2 s keeps the socket busy, not the head complete
            await asyncio.sleep(0.2)
            if not writer.is_closing():
                writer.write(b"X-Slow: 1\r\n")
        assert await closed_within(reader, 2) < 2
        assert mock.connections.timed_out == 1
        # A client that sends its head at once is answered, and its connection lives on.
        assert (await health(mock)).startswith(b"HTTP/1.1 200")
        reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
        for _ in range(2):
            writer.write(b"GET /_mock/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert (await asyncio.wait_for(reader.readuntil(b"}"), 2)).startswith(b"HTTP/1.1 200")
            await asyncio.sleep(0.6)  # past the header timeout: kept alive all the same
        writer.close()


async def test_open_connections_are_capped() -> None:
    async with MockServer({"server": {"max_connections": 4, "header_timeout": 30}}, scenario=[]) as mock:
        held = [await asyncio.open_connection("127.0.0.1", mock.port) for _ in range(4)]
        await asyncio.sleep(0.1)
        reader, _ = await asyncio.open_connection("127.0.0.1", mock.port)
        assert await closed_within(reader, 2) < 1  # over the cap: closed at once
        assert mock.connections.refused >= 1
        held.pop()[1].close()
        await asyncio.sleep(0.1)
        assert (await health(mock)).startswith(b"HTTP/1.1 200")  # room again
        for _, writer in held:
            writer.close()


async def test_an_idle_keep_alive_connection_is_closed() -> None:
    async with MockServer({"server": {"keepalive_timeout": 0.5}}, scenario=[]) as mock:
        reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
        writer.write(b"GET /_mock/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert (await asyncio.wait_for(reader.readuntil(b"}"), 2)).startswith(b"HTTP/1.1 200")
        assert await closed_within(reader, 3) < 3
        writer.close()


async def test_a_slow_body_gets_the_vendors_bad_body_error() -> None:
    async with MockServer({"server": {"body_timeout": 0.5}}, scenario=[]) as mock:
        reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
        writer.write(
            b"POST /smartsmsbulk/api/v2/SendSMS HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"phoneNo": '
        )
        started = time.monotonic()
        answer = await asyncio.wait_for(reader.read(65536), 3)
        assert time.monotonic() - started < 2
        writer.close()
        # The same answer as a malformed body gets: the vendor's own bad-body error.
        reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
        writer.write(
            b"POST /smartsmsbulk/api/v2/SendSMS HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1\r\n\r\n{"
        )
        reference = await asyncio.wait_for(reader.read(), 3)
        writer.close()
        assert answer.split(b"\r\n\r\n", 1)[1] == reference.split(b"\r\n\r\n", 1)[1] != b""
        assert answer.split(b"\r\n", 1)[0] == reference.split(b"\r\n", 1)[0]
        slow, _ = reversed(mock.requests("smartsmsbulk"))
        assert slow["outcome"] == mock.services.vendors["smartsmsbulk"].generic_errors["bad_body"]


def test_a_flood_of_one_kind_logs_one_line_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.flood")
    flood = OncePerInterval(("socket.accept() out of system resource",), interval=60)
    logger.addFilter(flood)
    try:
        with caplog.at_level(logging.ERROR, "test.flood"):
            for _ in range(1000):
                try:
                    raise OSError(24, "Too many open files")
                except OSError:
                    logger.exception("socket.accept() out of system resource")
            logger.error("something else")
        lines = [r for r in caplog.records if r.name == "test.flood"]
        assert [r.getMessage() for r in lines] == [
            "socket.accept() out of system resource: OSError: [Errno 24] Too many open files",
            "something else",
        ]
        assert lines[0].exc_info is None  # one line, no traceback
        assert flood.last["socket.accept() out of system resource"][1] == 999
    finally:
        logger.removeFilter(flood)


class DuckTransport:
    """A transport that is no ``asyncio.Transport`` subclass, as uvloop's are not."""

    def __init__(self) -> None:
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default


class Recording(asyncio.Protocol):
    def __init__(self) -> None:
        self.made: list[object] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made.append(transport)


async def test_a_transport_of_another_loop_is_served_and_capped() -> None:
    """uvloop's transports implement asyncio's without subclassing it: the edge must take them
    (an isinstance check once refused every connection of ``mockserver serve`` under uvloop)."""
    connections = Connections(cap=1, header_timeout=10)
    inner, first = Recording(), DuckTransport()
    watched = _Watched(inner, connections)
    watched.connection_made(first)  # type: ignore[arg-type]
    assert inner.made == [first] and connections.open == 1 and not first.aborted
    over, second = Recording(), DuckTransport()
    _Watched(over, connections).connection_made(second)  # type: ignore[arg-type]
    assert second.aborted and over.made == [] and connections.refused == 1  # over the cap
    watched.connection_lost(None)
    assert connections.open == 0
