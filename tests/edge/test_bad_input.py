"""Hostile bodies: nesting deep enough to break recursive parsers gets each vendor's own
bad-body error; every bad input to ``/_mock/`` is a 400 in JSON (and its 404/405/413 JSON);
``POST /_mock/reset`` puts the clock back."""

from __future__ import annotations

import time

import aiohttp
import pytest

from mockserver.embed import MockServer

VENDORS = ["ants", "fpt", "smartsmsbulk", "thaibulksms", "voiceotp"]
DEEP_JSON = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
DEEP_XML = b"<SEND>" + b"<a>" * 5_000 + b"x" + b"</a>" * 5_000 + b"</SEND>"


@pytest.fixture
async def mock():
    async with MockServer(scenario=[], seed=7) as server:
        yield server


async def answer(http: aiohttp.ClientSession, mock: MockServer, vendor: str, body: bytes, ctype: str):
    sample = mock.services.vendors[vendor].sample_send(mock.services.vendors[vendor].sample_recipient(0))
    headers = {**sample.headers, "Content-Type": ctype}
    async with http.request(sample.method, mock.url + sample.path, headers=headers, data=body) as resp:
        return resp.status, await resp.read()


@pytest.mark.parametrize("vendor", VENDORS)
async def test_deep_json_on_a_send_is_the_vendors_bad_body_error(mock: MockServer, vendor: str) -> None:
    async with aiohttp.ClientSession() as http:
        malformed = await answer(http, mock, vendor, b"{", "application/json")
        for deep in (DEEP_JSON, DEEP_OBJECT):
            assert await answer(http, mock, vendor, deep, "application/json") == malformed
    outcomes = {r["outcome"] for r in mock.requests(vendor)}
    assert outcomes == {mock.services.vendors[vendor].generic_errors["bad_body"]}


async def test_deep_xml_on_ants_is_its_bad_body_error(mock: MockServer) -> None:
    async with aiohttp.ClientSession() as http:
        malformed = await answer(http, mock, "ants", b"<SEND><a>", "application/xml")
        assert malformed[0] < 500
        assert await answer(http, mock, "ants", DEEP_XML, "application/xml") == malformed


YAML = {"Content-Type": "text/yaml"}
JSON = {"Content-Type": "application/json"}
BAD = [
    ("POST", "/_mock/clock", {"json": {"advance": "99999999999999h"}}),
    ("POST", "/_mock/clock", {"json": {"advance": 1e300}}),
    ("POST", "/_mock/clock", {"json": {"set": "9999-12-31T23:00:00+00:00"}}),
    ("POST", "/_mock/clock", {"data": DEEP_JSON, "headers": JSON}),
    ("POST", "/_mock/clock", {"data": DEEP_OBJECT, "headers": JSON}),
    ("PUT", "/_mock/scenario", {"data": "rules: !!python/object:os.system {}\n", "headers": YAML}),
    ("PUT", "/_mock/scenario", {"data": "rules:\n  - !custom x\n", "headers": YAML}),
    ("PUT", "/_mock/scenario", {"data": DEEP_JSON, "headers": JSON}),
    ("POST", "/_mock/scenario/rules", {"data": "!!binary abc", "headers": YAML}),
    ("POST", "/_mock/scenario/rules", {"data": b"[" * 5000 + b"]" * 5000, "headers": YAML}),
    ("POST", "/_mock/scenario/rules", {"data": DEEP_OBJECT, "headers": JSON}),
    ("GET", "/_mock/messages?limit=0", {}),
    ("GET", "/_mock/messages?limit=-5", {}),
    ("GET", "/_mock/requests?limit=0", {}),
    ("GET", "/_mock/callbacks?limit=-1", {}),
    ("GET", "/_mock/violations?limit=0", {}),
    ("GET", "/_mock/messages?limit=many", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), BAD, ids=[f"{m} {p}" for m, p, _ in BAD])
async def test_bad_input_to_the_admin_api_is_a_json_400(mock: MockServer, method: str, path: str, kwargs) -> None:
    async with aiohttp.ClientSession() as http, http.request(method, mock.url + path, **kwargs) as resp:
        assert resp.status == 400, await resp.text()
        assert resp.content_type == "application/json"
        assert (await resp.json())["error"]


async def test_the_admin_apis_404_405_and_413_are_json(mock: MockServer) -> None:
    async with aiohttp.ClientSession() as http:
        for method, path, kwargs, status in (
            ("GET", "/_mock/nowhere", {}, 404),
            ("DELETE", "/_mock/clock", {}, 405),
            ("POST", "/_mock/clock", {"data": b" " * 2_000_000, "headers": JSON}, 413),
        ):
            async with http.request(method, mock.url + path, **kwargs) as resp:
                assert resp.status == status
                assert resp.content_type == "application/json"
                assert (await resp.json())["error"]
                if status == 405:
                    assert "GET" in resp.headers["Allow"]


async def test_reset_puts_a_frozen_clock_back_to_its_start_up_instant() -> None:
    async with MockServer(scenario=[], frozen_clock=True) as mock, aiohttp.ClientSession() as http:
        start = mock.clock.now()
        async with http.post(mock.url + "/_mock/clock", json={"advance": "3h"}) as resp:
            assert (await resp.json())["now"] == start + 3 * 3600
        async with http.post(mock.url + "/_mock/reset") as resp:
            assert resp.status == 200
        async with http.get(mock.url + "/_mock/clock") as resp:
            state = await resp.json()
        assert state["now"] == start and state["frozen"] is True


async def test_reset_puts_a_moved_or_frozen_real_clock_back_to_real_time() -> None:
    async with MockServer(scenario=[]) as mock, aiohttp.ClientSession() as http:
        async with http.post(mock.url + "/_mock/clock", json={"advance": "2d", "freeze": True}) as resp:
            assert (await resp.json())["now"] > time.time() + 86400
        async with http.post(mock.url + "/_mock/reset") as resp:
            assert resp.status == 200
        async with http.get(mock.url + "/_mock/clock") as resp:
            state = await resp.json()
        assert abs(state["now"] - time.time()) < 5 and state["frozen"] is False
