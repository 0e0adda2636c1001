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
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.embed import MockServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("sms_mock_config", "sms-mockserver config file for the sms_mock fixture (relative to rootdir)")
    parser.addini("sms_mock_scenario", "sms-mockserver start-up scenario files (relative to rootdir)", type="args")
    parser.addini("sms_mock_seed", "seed for ids and codes of the sms_mock fixture (repeatable runs)")
    parser.addini("sms_mock_admin_token", "admin token of the sms_mock server (/_mock/ then needs it)")


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


@pytest.fixture
def sms_mock(sms_mock_server: MockServer) -> MockServer:
    """The session's mock server, reset to its start-up state for this test."""
    sms_mock_server.reset()
    return sms_mock_server
