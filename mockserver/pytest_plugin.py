"""The pytest plugin: the ``sms_mock`` fixture (installed with the package, a ``pytest11`` entry point).

    def test_signup_sends_otp(sms_mock):                    # a plain sync test (Django, requests)
        settings.SMS_URL = sms_mock.base_url("smartsmsbulk")
        client.post("/signup", {"phone": "0812345678"})
        code = sms_mock.otp("smartsmsbulk", "66812345678")["code"]

    async def test_report(sms_mock):                        # an async test (pytest-aiohttp)
        ...
        message = await sms_mock.wait_for(phone="66812345678")

One server per test session, in a background thread with its own event loop, on an ephemeral
port of 127.0.0.1; every test gets it reset to the start-up state (journals, balances, OTPs,
scenario, random sequence, clock timers). A thread, rather than the test's loop, because
pytest-asyncio gives each test its own loop, and a session-long server must outlive them; the
helpers hop onto the server's loop, so they are safe from sync and async tests alike.

Configure it in ``pytest.ini``/``pyproject.toml`` (``sms_mock_config``, ``sms_mock_scenario``,
``sms_mock_seed``) or by overriding the session fixtures of the same names in a ``conftest.py``.

Isolation (``sms_mock_isolation``): ``reset`` (the default) resets the one server before each
test; ``namespace`` gives each test a namespace of its own on it instead (``/ns/<name>/``, see
``mockserver.engine.namespaces``), dropped after the test, so nothing is reset under a test
that still runs in another thread. With ``sms_mock_url`` (or ``MOCKSERVER_URL``) no server is
started: every test, in every pytest-xdist worker, gets its own namespace of that shared
server, through :class:`~mockserver.remote.RemoteMock` (the same helpers, over HTTP).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.embed import MockServer
from mockserver.remote import RemoteMock


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("sms_mock_config", "sms-mockserver config file for the sms_mock fixture (relative to rootdir)")
    parser.addini("sms_mock_scenario", "sms-mockserver start-up scenario files (relative to rootdir)", type="args")
    parser.addini("sms_mock_seed", "seed for ids and codes of the sms_mock fixture (repeatable runs)")
    parser.addini("sms_mock_admin_token", "admin token of the sms_mock server (/_mock/ then needs it)")
    parser.addini("sms_mock_isolation", "reset (default): one server reset per test; namespace: a namespace per test")
    parser.addini("sms_mock_url", "a running server to share (every test gets a namespace of it); or MOCKSERVER_URL")


def _rooted(config: pytest.Config, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else Path(config.rootpath) / path


@pytest.fixture(scope="session")
def sms_mock_config(pytestconfig: pytest.Config) -> Any:
    """The config of the session's server: a dict or a YAML path (default: the bundled demo accounts)."""
    value = pytestconfig.getini("sms_mock_config")
    return _rooted(pytestconfig, value) if value else None


@pytest.fixture(scope="session")
def sms_mock_scenario(pytestconfig: pytest.Config) -> Any:
    """The start-up scenario: paths, YAML text or rule dicts (default: the shipped default.yaml)."""
    values = pytestconfig.getini("sms_mock_scenario")
    return [_rooted(pytestconfig, v) for v in values] if values else None


@pytest.fixture(scope="session")
def sms_mock_seed(pytestconfig: pytest.Config) -> int | None:
    value = pytestconfig.getini("sms_mock_seed")
    return int(value) if value else None


@pytest.fixture(scope="session")
def sms_mock_admin_token(pytestconfig: pytest.Config) -> str | None:
    """The server's admin token (``sms_mock.admin_headers`` carries it for calls to /_mock/)."""
    return pytestconfig.getini("sms_mock_admin_token") or None


@pytest.fixture(scope="session")
def sms_mock_server(
    sms_mock_config: Any, sms_mock_scenario: Any, sms_mock_seed: int | None, sms_mock_admin_token: str | None
) -> Iterator[MockServer]:
    """The session's server, not reset between tests (use ``sms_mock`` in tests)."""
    with MockServer(
        config=sms_mock_config, scenario=sms_mock_scenario, seed=sms_mock_seed, admin_token=sms_mock_admin_token
    ) as server:
        yield server


@pytest.fixture(scope="session")
def sms_mock_url(pytestconfig: pytest.Config) -> str | None:
    """A running server every test shares, each in its own namespace (None: start one here)."""
    return pytestconfig.getini("sms_mock_url") or os.environ.get("MOCKSERVER_URL") or None


_tests = itertools.count(1)


def _namespace_for(request: pytest.FixtureRequest) -> str:
    """``<worker>-<n>-<test>``: unique in the run, readable in the inbox's namespace list."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    test = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name).strip("-.")[:32] or "test"
    return f"{worker}-{next(_tests)}-{test}"[:64]


@pytest.fixture
def sms_mock(request: pytest.FixtureRequest, sms_mock_url: str | None) -> Iterator[Any]:
    """The mock for this test: the session's server reset to its start-up state, or this test's
    own namespace of it (``sms_mock_isolation = namespace``), or of a shared server (``sms_mock_url``)."""
    if sms_mock_url:
        remote = RemoteMock(
            sms_mock_url, _namespace_for(request), admin_token=request.getfixturevalue("sms_mock_admin_token")
        )
        remote.drop()  # a name from an earlier run of the same worker: start afresh
        yield remote
        remote.drop()
        return
    server: MockServer = request.getfixturevalue("sms_mock_server")
    isolation = request.config.getini("sms_mock_isolation") or "reset"
    if isolation not in ("reset", "namespace"):
        raise pytest.UsageError(f"sms_mock_isolation must be reset or namespace, not {isolation!r}")
    if isolation == "reset":
        server.reset()
        yield server
        return
    name = _namespace_for(request)
    yield server.namespace(name)
    server.drop_namespace(name)
