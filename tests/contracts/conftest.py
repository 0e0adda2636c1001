"""Fixtures of the contract tests: a real server whose every vendor answer is captured.

``capture(app)`` adds an outer middleware to the main application (it wraps every vendor
sub-application): it records each answer the vendor middleware produced, with the journal's
outcome, so a test can check the *real* responses against the schemas. Nothing of ours is mocked.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web

from mockserver.app import SERVICES
from mockserver.http.routing import SERVED


@dataclass
class Captured:
    vendor: Any
    operation: str
    method: str
    path: str
    status: int
    content_type: str
    body: bytes
    outcome: str
    request_body: Any = None  # the request's body, parsed (JSON or form)


def capture(app: web.Application) -> list[Captured]:
    seen: list[Captured] = []
    services = app[SERVICES]

    @web.middleware
    async def record(request: web.Request, handler) -> web.StreamResponse:
        response = await handler(request)
        served = request.get(SERVED)
        if served is not None and isinstance(response, web.Response):
            body = response.body if isinstance(response.body, bytes) else b""
            outcome = services.store.requests[-1].outcome if services.store.requests else "?"
            seen.append(
                Captured(
                    served.vendor,
                    served.operation.name,
                    request.method,
                    request.path_qs,
                    response.status,
                    response.content_type,
                    body,
                    outcome,
                    _parsed(request.content_type, await request.read()),
                )
            )
        return response

    app.middlewares.append(record)
    return seen


def _parsed(content_type: str, raw: bytes) -> Any:
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode()))
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


@pytest.fixture
async def captured_client(aiohttp_client, make_app):
    """(client, captured answers) of a fresh server with the bundled config."""
    app = make_app()
    seen = capture(app)
    return await aiohttp_client(app), seen
