"""Every network fault, as a real aiohttp client sees it over a real socket."""

from __future__ import annotations

import asyncio
import errno
import time

import aiohttp
import pytest

from .conftest import VENDORS, send, services, shows_row, vendor_of

FAULT = """
rules:
  - name: the fault
    match: {{header: {{X-Fault: "on"}}}}
    respond: {respond}
"""


async def _request(client, vendor, timeout: float = 3.0, headers: dict | None = None):
    """A send with a fresh real aiohttp session (no connection reuse between attempts)."""
    req = vendor.sample_send(vendor.sample_recipient(500))
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
        session.request(
            req.method,
            str(client.make_url(req.path)),
            data=req.body,
            headers={**req.headers, "X-Fault": "on", **(headers or {})},
        ) as resp,
    ):
        return resp.status, await resp.read()


async def _journaled(client, outcome: str, timeout: float = 2.0):
    store = services(client).store
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [r for r in store.requests if r.outcome == outcome]
        if found:
            return found[-1]
        await asyncio.sleep(0.02)
    raise AssertionError(f"no journal entry {outcome}")


@pytest.mark.parametrize("vendor_name", VENDORS)
async def test_connection_reset_is_a_client_connection_error(scenario_client, vendor_name):
    client = await scenario_client(FAULT.format(respond="{fault: connection_reset}"))
    vendor = vendor_of(client, vendor_name)
    with pytest.raises(aiohttp.ClientConnectionError) as caught:
        await _request(client, vendor)
    assert isinstance(caught.value, aiohttp.ClientOSError) and caught.value.errno == errno.ECONNRESET
    entry = await _journaled(client, "fault:connection_reset")
    assert entry.status == 0 and entry.operation is not None
    # Without the header the same server answers normally.
    status, _, _ = await send(client, vendor)
    assert status == 200


async def test_empty_response_is_a_server_disconnect(scenario_client):
    client = await scenario_client(FAULT.format(respond="{fault: empty_response}"))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await _request(client, vendor_of(client, VENDORS[0]))
    await _journaled(client, "fault:empty_response")


async def test_malformed_response_fails_the_clients_parser(scenario_client):
    client = await scenario_client(
        FAULT.format(respond="{fault: {kind: malformed_response, body: 'HTTP/9 ??? nonsense'}}")
    )
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await _request(client, vendor_of(client, VENDORS[0]))
    assert "nonsense" in str(caught.value) or caught.value.status == 400
    await _journaled(client, "fault:malformed_response")


async def test_timeout_hangs_until_the_client_gives_up(scenario_client):
    client = await scenario_client(FAULT.format(respond="{fault: timeout}"))
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await _request(client, vendor_of(client, VENDORS[0]), timeout=0.4)
    assert time.monotonic() - started >= 0.39
    # The server notices the client left and ends the request (no leaked handler).
    entry = await _journaled(client, "fault:timeout")
    assert entry.latency_ms >= 390


async def test_timeout_with_after_closes_after_n_seconds(scenario_client):
    client = await scenario_client(FAULT.format(respond="{fault: {kind: timeout, after: 300ms}}"))
    started = time.monotonic()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await _request(client, vendor_of(client, VENDORS[0]), timeout=5)
    assert 0.29 <= time.monotonic() - started < 3


@pytest.mark.parametrize("vendor_name", VENDORS)
async def test_slow_body_dribbles_the_real_answer(scenario_client, vendor_name):
    client = await scenario_client(FAULT.format(respond="{fault: {kind: slow_body, duration: 600ms, chunks: 6}}"))
    vendor = vendor_of(client, vendor_name)
    req = vendor.sample_send(vendor.sample_recipient(500))
    arrivals = []
    started = time.monotonic()
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            req.method, str(client.make_url(req.path)), data=req.body, headers={**req.headers, "X-Fault": "on"}
        ) as resp,
    ):
        assert resp.status == 200
        body = b""
        async for piece in resp.content.iter_any():
            arrivals.append(time.monotonic() - started)
            body += piece
    assert time.monotonic() - started >= 0.55
    assert len(arrivals) >= 3 and arrivals[-1] - arrivals[0] >= 0.3  # spread over time, not at once
    assert int(resp.headers["Content-Length"]) == len(body)
    assert len(services(client).store.messages) == 1  # the vendor really accepted it


async def test_slow_body_with_a_vendor_error(scenario_client):
    vendor_name = VENDORS[0]
    client = await scenario_client(
        FAULT.format(respond="{error: '@internal', fault: {kind: slow_body, duration: 200ms}}")
    )
    vendor = vendor_of(client, vendor_name)
    row = vendor.errors[vendor.generic_errors["internal"]]
    started = time.monotonic()
    status, body = await _request(client, vendor)
    assert time.monotonic() - started >= 0.19
    assert shows_row(status, body, row)
