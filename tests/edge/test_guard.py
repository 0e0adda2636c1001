"""``/_mock/`` refuses foreign Hosts (DNS rebinding) and cross-origin changes, and with an admin
token needs it everywhere: API, inbox data, event stream. Real HTTP to a real port."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from mockserver.embed import MockServer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def send(http: aiohttp.ClientSession, mock: MockServer, vendor: str = "smartsmsbulk", **headers: str) -> int:
    sample = mock.services.vendors[vendor].sample_send(mock.services.vendors[vendor].sample_recipient(0))
    async with http.request(
        sample.method, mock.url + sample.path, headers={**sample.headers, **headers}, data=sample.body
    ) as resp:
        return resp.status


async def test_a_foreign_host_is_refused_as_dns_rebinding_would_send_it() -> None:
    async with MockServer(scenario=[]) as mock, aiohttp.ClientSession() as http:
        assert await send(http, mock) == 200
        for path in ("/_mock/messages", "/_mock/otp?phone=66899900000", "/_mock/requests", "/_mock/ui/"):
            async with http.get(mock.url + path, headers={"Host": f"attacker.example:{mock.port}"}) as resp:
                assert resp.status == 403, path
                assert resp.content_type == "application/json"
                assert "Host" in (await resp.json())["error"]
        # Vendor endpoints are not guarded: a vendor's real Host name or any other still works.
        assert await send(http, mock, Host="attacker.example") == 200
        for host in ("localhost", f"localhost:{mock.port}", "127.0.0.2", "[::1]:1", "app.localhost"):
            async with http.get(mock.url + "/_mock/clock", headers={"Host": host}) as resp:
                assert resp.status == 200, host


async def test_admin_allowed_hosts_adds_names() -> None:
    config = {"admin": {"allowed_hosts": ["mock.internal", "*.ci.example"]}}
    async with MockServer(config, scenario=[]) as mock, aiohttp.ClientSession() as http:
        for host, status in (("mock.internal", 200), ("a.ci.example", 200), ("ci.example.evil", 403)):
            async with http.get(mock.url + "/_mock/clock", headers={"Host": host}) as resp:
                assert resp.status == status, host


async def test_cross_origin_changes_are_refused_and_change_nothing() -> None:
    async with MockServer(scenario=[], frozen_clock=True) as mock, aiohttp.ClientSession() as http:
        assert await send(http, mock) == 200
        before = mock.clock.now()
        evil = {"Origin": "http://attacker.example"}
        message_id = mock.messages()[0]["id"]
        attempts = [
            ("POST", "/_mock/reset", {}, evil),
            (
                "POST",
                "/_mock/clock",
                {"data": "advance=1h", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
                evil,
            ),
            (
                "POST",
                "/_mock/scenario/rules",
                {"data": "match: {}\nfault: reset", "headers": {"Content-Type": "text/plain"}},
                evil,
            ),
            ("POST", "/_mock/reset", {}, {"Origin": "null"}),
            ("POST", "/_mock/reset", {}, {"Origin": f"http://127.0.0.1:{mock.port + 1}"}),
            ("DELETE", "/_mock/violations", {}, {"Sec-Fetch-Site": "cross-site"}),
            ("DELETE", f"/_mock/messages/{message_id}", {}, evil),
        ]
        for method, path, kwargs, headers in attempts:
            extra = kwargs.pop("headers", {})
            async with http.request(method, mock.url + path, headers={**headers, **extra}, **kwargs) as resp:
                assert resp.status == 403, (path, headers)
                assert "cross-origin" in (await resp.json())["error"]
        assert len(mock.messages()) == 1 and mock.clock.now() == before
        assert mock.services.scenarios.rules == []
        # The page's own origin may; so may curl and scripts, which send no Origin.
        async with http.post(mock.url + "/_mock/clock", json={"advance": "1m"}, headers={"Origin": mock.url}) as resp:
            assert resp.status == 200
        async with http.post(mock.url + "/_mock/reset") as resp:
            assert resp.status == 200
        assert mock.messages() == []


async def test_the_token_covers_api_inbox_data_openapi_violations_and_stream() -> None:
    async with MockServer(scenario=[], admin_token=TOKEN) as mock, aiohttp.ClientSession() as http:
        assert mock.admin_headers == AUTH
        paths = (
            "/_mock/health",
            "/_mock/messages",
            "/_mock/stats",
            "/_mock/samples",
            "/_mock/violations",
            "/_mock/openapi/fpt.json",
            "/_mock/events",
            "/_mock/nowhere",
        )
        for path in paths:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                async with http.get(mock.url + path, headers=headers) as resp:
                    assert resp.status == 401, (path, headers)
                    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
                    assert "error" in await resp.json()
        async with http.post(mock.url + "/_mock/reset") as resp:
            assert resp.status == 401
        assert await send(http, mock) == 200
        message_url = mock.url + "/_mock/messages/" + mock.messages()[0]["id"]
        async with http.delete(message_url) as resp:
            assert resp.status == 401 and len(mock.messages()) == 1
        async with http.delete(message_url, headers=AUTH) as resp:
            assert resp.status == 200 and mock.messages() == []
        for path in paths[:-2]:
            async with http.get(mock.url + path, headers=AUTH) as resp:
                assert resp.status == 200, path
        # The inbox's page itself has no data: it loads and then asks for the token.
        async with http.get(mock.url + "/_mock/ui/") as resp:
            assert resp.status == 200 and "<html" in (await resp.text()).lower()
        async with http.get(mock.url + "/_mock/ui/app.js") as resp:
            assert resp.status == 200 and "sessionStorage" in await resp.text()
        # Vendors never need it.
        assert await send(http, mock) == 200


async def test_the_event_stream_takes_a_single_use_ticket() -> None:
    async with MockServer(scenario=[], admin_token=TOKEN) as mock, aiohttp.ClientSession() as http:
        async with http.post(mock.url + "/_mock/events/ticket") as resp:
            assert resp.status == 401
        async with http.post(mock.url + "/_mock/events/ticket", headers=AUTH) as resp:
            ticket = (await resp.json())["ticket"]
        async with http.get(mock.url + "/_mock/events", params={"ticket": ticket}) as stream:
            assert stream.status == 200
            first = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
            assert b"event: hello" in first
        async with http.get(mock.url + "/_mock/events", params={"ticket": ticket}) as again:
            assert again.status == 401  # used up
        async with http.get(mock.url + "/_mock/messages", params={"ticket": ticket}) as resp:
            assert resp.status == 401  # a ticket opens the stream only


def test_serving_beyond_loopback_without_a_token_warns() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MOCKSERVER_ADMIN_TOKEN": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--host", "0.0.0.0", "--port", "0", "--scenario", "default"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert "listening" in proc.stdout.readline()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "without an admin token" in err


@pytest.mark.parametrize("host", ["127.0.0.1"])
def test_health_sends_the_token(host: str) -> None:
    with MockServer(scenario=[], admin_token=TOKEN, host=host) as mock:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "mockserver", "health", "--url", mock.url]
        assert subprocess.run(cmd, env={**env, "MOCKSERVER_ADMIN_TOKEN": ""}, capture_output=True).returncode == 1
        ok = subprocess.run(cmd, env={**env, "MOCKSERVER_ADMIN_TOKEN": TOKEN}, capture_output=True, text=True)
        assert ok.returncode == 0, ok.stderr
