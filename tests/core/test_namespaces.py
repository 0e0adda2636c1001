"""Namespaces on one real ``mockserver serve`` process: ``/ns/<name>/...`` and ``X-Mock-Namespace``
give each CI job its own messages, balances, clock, scenario rules and reset, used at once."""

from __future__ import annotations

import asyncio
import gc
import signal
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mockserver.clients.smartsmsbulk import SmartSMSBulkClient

from .test_callbacks_shutdown import start_server

ROOT = Path(__file__).resolve().parents[2]
DEMO = {"user_id": 42, "partner_id": 21, "api_key": "demo-smartsmsbulk-key-42"}
SENDER = 25


class Server:
    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc, self.url = proc, url

    def client(self, namespace: str | None, session: aiohttp.ClientSession) -> SmartSMSBulkClient:
        prefix = f"/ns/{namespace}" if namespace else ""
        return SmartSMSBulkClient(f"{self.url}{prefix}/smartsmsbulk", session=session, **DEMO)

    async def stop(self) -> str:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(self.proc.communicate(), 30)
        return err.decode()


async def start(tmp_path: Path, config: str = "", *args: str) -> Server:
    return Server(*await start_server(tmp_path, config or "{}\n", *args))


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    running = await start(tmp_path, "", "--seed", "7", "--scenario", "default")
    yield running
    await running.stop()


async def get(http: aiohttp.ClientSession, url: str) -> dict:
    async with http.get(url) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def post(http: aiohttp.ClientSession, url: str, body: dict | None = None) -> tuple[int, dict]:
    async with http.post(url, json=body or {}) as resp:
        return resp.status, await resp.json()


async def test_two_namespaces_used_at_once_stay_apart(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        a, b = server.client("job-a", http), server.client("job-b", http)
        before = await a.check_balance()

        # Concurrent clients: 20 sends into each namespace, interleaved.
        sends = [c.send_sms(f"6681234{n:04d}", f"{name} {n}", sender_id=SENDER) for n in range(20) for name, c in
                 (("a", a), ("b", b))]  # fmt: skip
        answers = await asyncio.gather(*sends)
        assert all(answer["status"] == "OK" for answer in answers), answers

        listed = {ns: await get(http, f"{server.url}/ns/{ns}/_mock/messages") for ns in ("job-a", "job-b")}
        assert listed["job-a"]["total"] == listed["job-b"]["total"] == 20
        assert {m["text"].split()[0] for m in listed["job-a"]["messages"]} == {"a"}
        assert {m["text"].split()[0] for m in listed["job-b"]["messages"]} == {"b"}
        assert (await get(http, f"{server.url}/_mock/messages"))["total"] == 0  # the default saw nothing

        # Balances: each namespace starts from the config and pays for its own messages.
        spent_a = before["creditBalance"] - (await a.check_balance())["creditBalance"]
        assert spent_a > 0
        assert (await b.check_balance())["creditBalance"] == before["creditBalance"] - spent_a
        assert (await server.client(None, http).check_balance())["creditBalance"] == before["creditBalance"]

        # Scenario rules: a rule added in job-a answers there only.
        rule = {"name": "broke", "match": {"vendor": "smartsmsbulk"}, "respond": {"error": "INSUFFICIENT_CREDIT"}}
        status, _ = await post(http, f"{server.url}/ns/job-a/_mock/scenario/rules", rule)
        assert status in (200, 201)
        assert (await a.send_sms("66812340999", "x", sender_id=SENDER))["status"] == "ERR"
        assert (await b.send_sms("66812340999", "x", sender_id=SENDER))["status"] == "OK"

        # Clocks: job-b's advances alone.
        clock_a = (await get(http, f"{server.url}/ns/job-a/_mock/clock"))["now"]
        status, moved = await post(http, f"{server.url}/ns/job-b/_mock/clock", {"advance": "2h"})
        assert status == 200 and moved["now"] - clock_a > 7000
        assert (await get(http, f"{server.url}/ns/job-a/_mock/clock"))["now"] - clock_a < 60

        # Reset: job-a's empties job-a only.
        assert (await post(http, f"{server.url}/ns/job-a/_mock/reset"))[0] == 200
        assert (await get(http, f"{server.url}/ns/job-a/_mock/messages"))["total"] == 0
        assert (await get(http, f"{server.url}/ns/job-b/_mock/messages"))["total"] == 21
        assert (await a.send_sms("66812340999", "x", sender_id=SENDER))["status"] == "OK"  # the rule went too

        listing = await get(http, f"{server.url}/_mock/namespaces")
        counts = {ns["name"]: ns["messages"] for ns in listing["namespaces"]}
        assert counts == {"default": 0, "job-a": 1, "job-b": 21}


async def test_each_namespace_repeats_its_own_ids_run_after_run(tmp_path: Path) -> None:
    async def first_ids() -> tuple[str, str, str]:
        running = await start(tmp_path, "", "--seed", "7", "--scenario", "default")
        try:
            async with aiohttp.ClientSession() as http:
                out = []
                for ns in ("x", "y", None):
                    answer = await running.client(ns, http).send_sms("66812345678", "hi", sender_id=SENDER)
                    out.append(answer["refId"].split("-", 1)[1])  # the random part, after the time
                return out[0], out[1], out[2]
        finally:
            await running.stop()

    one, two = await first_ids(), await first_ids()
    assert one == two
    assert len(set(one)) == 3  # derived from the seed and the name: x, y and the default differ


async def test_the_least_recently_used_namespace_is_evicted_and_logged(tmp_path: Path) -> None:
    running = await start(tmp_path, "namespaces: {max: 2}\n", "--scenario", "default")
    try:
        async with aiohttp.ClientSession() as http:
            for ns in ("one", "two"):
                await running.client(ns, http).send_sms("66812345678", ns, sender_id=SENDER)
            await get(http, f"{running.url}/ns/one/_mock/messages")  # "one" is used again: "two" is older
            await running.client("three", http).send_sms("66812345678", "three", sender_id=SENDER)
            listing = await get(http, f"{running.url}/_mock/namespaces")
            assert [ns["name"] for ns in listing["namespaces"]] == ["default", "one", "three"]
            assert listing["evicted"] == 1
            # An evicted namespace comes back empty on next use.
            assert (await get(http, f"{running.url}/ns/two/_mock/messages"))["total"] == 0
    finally:
        err = await running.stop()
    assert "namespace two evicted" in err


async def test_bad_names_unknown_namespaces_and_the_default_get_clear_answers(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        for path in (
            "/ns/bad%20name/_mock/messages",
            "/ns/-dash/smartsmsbulk/api/v2/SendSMS",
            f"/ns/{'n' * 65}/_mock/health",
        ):
            async with http.request("GET" if "_mock" in path else "POST", server.url + path) as resp:
                assert resp.status == 400, path
                assert "bad namespace name" in (await resp.json())["error"]
        async with http.delete(f"{server.url}/_mock/namespaces/nobody") as resp:
            assert resp.status == 404 and "nobody" in (await resp.json())["error"]
        async with http.delete(f"{server.url}/_mock/namespaces/default") as resp:
            assert resp.status == 400 and "cannot be dropped" in (await resp.json())["error"]
        # Dropping one forgets its state.
        await server.client("gone", http).send_sms("66812345678", "x", sender_id=SENDER)
        async with http.delete(f"{server.url}/_mock/namespaces/gone") as resp:
            assert resp.status == 200 and (await resp.json()) == {"dropped": "gone"}
        assert (await get(http, f"{server.url}/ns/gone/_mock/messages"))["total"] == 0
        # Under a namespace, an unknown vendor path is the vendor's own 404 and /_mock/ stays JSON.
        async with http.post(f"{server.url}/ns/n1/smartsmsbulk/api/v9/Nothing", json={}) as resp:
            assert resp.status == 404 and (await resp.json())["status"] == "ERR"
        async with http.get(f"{server.url}/ns/n1/_mock/nothing") as resp:
            assert resp.status == 404 and "error" in await resp.json()
        # The inbox is one page: a namespace's /ui/ opens it with the namespace selected.
        async with http.get(f"{server.url}/ns/n1/_mock/ui/", allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"] == "/_mock/ui/?ns=n1"


async def test_the_header_selects_the_namespace_at_real_host_paths(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        vendors = await get(http, f"{server.url}/_mock/vendors")
        mount = next(v for v in vendors if v["name"] == "smartsmsbulk")["mounts"][0]
        host = mount["hosts"][0]
        client = server.client(None, http)
        body = client.sms_body("66812345678", "via real host", sender_id=SENDER)
        path = next(op["path"] for op in mount["operations"] if op["name"] == "send_sms")
        headers = {"Host": host, "X-Mock-Namespace": "hosted"}
        async with http.post(server.url + path, json=body, headers=headers) as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "OK"
        async with http.post(server.url + path, json=body, headers={**headers, "X-Mock-Namespace": "no good"}) as resp:
            assert resp.status == 400
        hosted = await get(http, f"{server.url}/ns/hosted/_mock/messages")
        assert [m["text"] for m in hosted["messages"]] == ["via real host"]
        assert (await get(http, f"{server.url}/_mock/messages"))["total"] == 0


async def test_a_namespaces_admin_api_is_behind_the_same_token(tmp_path: Path) -> None:
    running = await start(tmp_path, "", "--admin-token", "s3cret-token-for-tests")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{running.url}/ns/t/_mock/messages") as resp:
                assert resp.status == 401
            auth = {"Authorization": "Bearer s3cret-token-for-tests"}
            async with http.get(f"{running.url}/ns/t/_mock/messages", headers=auth) as resp:
                assert resp.status == 200
            async with http.post(
                f"{running.url}/ns/t/_mock/reset", headers={**auth, "Origin": "http://evil.example"}
            ) as resp:
                assert resp.status == 403
    finally:
        await running.stop()


# -- an evicted or dropped world is freed; stopping the server with namespaces in use ------------
async def _in_process(config: dict) -> tuple[TestClient, web.Application]:
    from mockserver.app import create_app

    app = create_app(config, seed=1, scenarios=[])
    client = TestClient(TestServer(app))
    await client.start_server()
    return client, app


async def test_an_evicted_namespace_is_freed_even_with_its_event_stream_open() -> None:
    from mockserver.app import NAMESPACES

    client, app = await _in_process({"namespaces": {"max": 1}})
    try:
        base = str(client.make_url("/")).rstrip("/")
        sms = SmartSMSBulkClient(f"{base}/ns/old/smartsmsbulk", session=client.session, **DEMO)
        assert (await sms.send_sms("66812345678", "hi", sender_id=SENDER))["status"] == "OK"
        # The inbox's live stream of the namespace, left open by a browser tab.
        stream = await client.session.get(f"{base}/ns/old/_mock/events")
        assert stream.status == 200
        assert (await stream.content.readline()).startswith(b"retry:")
        old = weakref.ref(app[NAMESPACES].get("old").services)  # type: ignore[union-attr]
        new = SmartSMSBulkClient(f"{base}/ns/new/smartsmsbulk", session=client.session, **DEMO)
        assert (await new.send_sms("66812345678", "hi", sender_id=SENDER))["status"] == "OK"  # evicts "old"
        for _ in range(40):  # the stopping task and the stream's handler finish on the loop
            await asyncio.sleep(0.05)
            gc.collect()
            if old() is None:
                break
        freed = old() is None
        assert freed, "the evicted world is still referenced (its event stream still open?)"
        await asyncio.wait_for(stream.content.read(), 5)  # returns at the end: the eviction ended the stream
        stream.release()
    finally:
        await client.close()


async def test_the_server_stops_cleanly_after_a_namespaces_admin_api_was_used() -> None:
    from mockserver.app import NAMESPACES, SERVICES

    client, app = await _in_process({})
    base = str(client.make_url("/")).rstrip("/")
    async with client.session.get(f"{base}/ns/used/_mock/messages") as resp:
        assert resp.status == 200
    world = app[NAMESPACES].get("used")
    assert world is not None
    await client.close()  # the shutdown ends the namespace's streams, then the clean-up stops every world
    # Stopped: each dispatcher closed its ClientSession (the shutdown raised before, skipping this).
    assert app[SERVICES].callbacks._session is None and world.services.callbacks._session is None


async def test_traffic_only_in_namespaces_runs_the_full_collection_that_frees_an_evicted_world(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `serve` leaves the oldest generation to a timer (mockserver.core.tuning) that collects once
    # requests were served and the server went quiet. An evicted world is a cycle of objects: only
    # that collection frees it, so the timer must see requests served in namespaces as activity.
    from mockserver.app import NAMESPACES, requests_served
    from mockserver.core import tuning

    client, app = await _in_process({"namespaces": {"max": 1}})
    monkeypatch.setattr(tuning, "QUIET_CHECK_EVERY", 0.05)
    gc.collect()
    gc.disable()  # as serve's thresholds: no full collection but the timer's
    collector = asyncio.get_running_loop().create_task(tuning.collect_periodically(requests_served(app)))
    try:
        base = str(client.make_url("/")).rstrip("/")
        for name in ("old", "new"):  # "new" evicts "old"; no request to the default namespace
            sms = SmartSMSBulkClient(f"{base}/ns/{name}/smartsmsbulk", session=client.session, **DEMO)
            assert (await sms.send_sms("66812345678", "hi", sender_id=SENDER))["status"] == "OK"
            if name == "old":
                old = weakref.ref(app[NAMESPACES].get("old").services)  # type: ignore[union-attr]
        for _ in range(40):
            await asyncio.sleep(0.05)
            if old() is None:
                break
        freed = old() is None
        assert freed, "no full collection ran after traffic only in namespaces: the evicted world stays in memory"
    finally:
        collector.cancel()
        gc.enable()
        await client.close()
