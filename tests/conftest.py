"""Shared fixtures: a real mock server on an ephemeral port, and a real callback receiver.

``client`` is an aiohttp test client talking HTTP over a real socket to ``create_app``; the
``receiver`` is a second real server that records every request it gets and answers with the
statuses a test scripts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from mockserver.app import SERVICES, create_app

# Fast timings so that lifecycle and retry tests take milliseconds, not seconds.
FAST = {
    "delivery": {"sent_after": 0.02, "final_after": 0.05},
    "callbacks": {"backoff_initial": 0.02, "backoff_max": 0.1, "max_attempts": 4, "timeout": 2, "grace": 1},
}


@pytest.fixture
def make_app() -> Callable[..., web.Application]:
    """``make_app(config=None, seed=1234, scenarios=[], fast=True)``: a fresh application."""

    def make(config: dict[str, Any] | None = None, *, seed: int = 1234, scenarios=None, fast: bool = True, **kw):
        merged: dict[str, Any] = {}
        if fast:
            merged.update({k: dict(v) for k, v in FAST.items()})
        for key, value in (config or {}).items():
            if isinstance(value, dict) and key != "vendors":
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
        return create_app(merged, seed=seed, scenarios=scenarios, **kw)

    return make


@pytest.fixture
async def client(aiohttp_client, make_app):
    """A client of a fresh server with the bundled config, the default scenario and fast timings."""
    return await aiohttp_client(make_app())


def services_of(client) -> Any:
    return client.server.app[SERVICES]


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server that records callbacks; ``statuses`` are answered in turn (last repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    _event: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Received(request.method, request.path, dict(request.query), dict(request.headers), body))
        self._event.set()
        index = min(len(self.requests) - 1, len(self.statuses) - 1)
        return web.Response(status=self.statuses[index], text="ok")

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        async def wait() -> None:
            while len(self.requests) < count:
                self._event.clear()
                await self._event.wait()

        await asyncio.wait_for(wait(), timeout)
        return self.requests


@pytest.fixture
async def receiver(aiohttp_server) -> Receiver:
    rec = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", rec.handle)
    server = await aiohttp_server(app)
    rec.url = str(server.make_url("/callback"))
    return rec
