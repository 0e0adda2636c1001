"""The endpoints behind the web inbox, over real HTTP without a browser: the server-sent event
stream, stats, samples (their curl lines run with the real curl), journaled responses, the free
text filter and the scenario switch."""

from __future__ import annotations

import asyncio
import json
import shutil
import time

import pytest
from aiohttp import ClientTimeout
from aiohttp.test_utils import TestClient, TestServer

from mockserver.core.store import MESSAGE_ADDED, MESSAGE_DELETED, RESET
from mockserver.inspection.webui import MAX_PENDING, _Stream
from tests.conftest import services_of
from tests.webui.conftest import send_sample, sse_events

THAI = "รหัสยืนยันของคุณคือ 4821"
VIETNAMESE = "Mã xác thực của bạn là 4821"


async def _open_events(client):
    resp = await client.get("/_mock/events", timeout=ClientTimeout(total=10))
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    return resp, sse_events(resp)


async def _next(events, kind: str, predicate=lambda data: True, timeout: float = 5.0):
    async def find():
        async for event, data in events:
            if event == kind and predicate(data):
                return data
        raise AssertionError(f"stream ended before a {kind} event")

    return await asyncio.wait_for(find(), timeout)


async def test_event_stream_says_hello_then_streams_messages_and_their_status(aiohttp_client, make_app):
    client = await aiohttp_client(make_app({"delivery": {"sent_after": 0.2, "final_after": 0.5}}))
    resp, events = await _open_events(client)
    hello = await _next(events, "hello")
    assert hello["stats"]["messages"]["total"] == 0
    assert set(hello["stats"]["messages"]["by_vendor"]) == set(services_of(client).vendors)
    assert abs(hello["clock"]["now"] - time.time()) < 5

    sent = await send_sample(client, "ants", text=THAI)
    message_id = (await sent.json())["details"][0]["messageId"]
    first = await _next(events, "message", lambda m: m["id"] == message_id)
    assert first["vendor"] == "ants" and first["text"] == THAI and first["encoding"] == "UCS-2"
    assert first["status"] == "accepted"  # pushed at once, not at the end of the lifecycle
    final = await _next(events, "message", lambda m: m["id"] == message_id and m["status"] == "delivered")
    assert [s["status"] for s in final["timeline"]] == ["accepted", "sent", "delivered"]
    resp.close()


async def test_event_stream_reports_callbacks_otps_and_reset(client, receiver):
    services = services_of(client)
    resp, events = await _open_events(client)
    await _next(events, "hello")

    v = services.vendors["ants"]
    sample = v.sample_send(v.sample_recipient(0), "callback please")
    body = json.loads(sample.body)
    body["messages"][0]["notifyUrl"] = receiver.url
    sent = await client.post(sample.path, headers=dict(sample.headers), data=json.dumps(body).encode())
    message_id = (await sent.json())["details"][0]["messageId"]
    callback = await _next(events, "callback", lambda c: message_id in c["message_ids"] and c["state"] == "delivered")
    assert callback["url"] == receiver.url and callback["attempts"][-1]["status"] == 200

    await send_sample(client, "voiceotp")
    otp = await _next(events, "otp")
    assert otp["vendor"] == "voiceotp" and otp["code"]

    assert (await client.post("/_mock/reset")).status == 200
    await _next(events, "reset")
    resp.close()


async def test_no_listener_while_nobody_watches(client):
    store = services_of(client).store
    assert store.listeners == []  # the store builds no events at all
    resp, events = await _open_events(client)
    await _next(events, "hello")
    assert len(store.listeners) == 1
    resp.close()
    await send_sample(client, "smartsmsbulk")  # the next write finds the stream closed
    for _ in range(100):
        if not store.listeners:
            break
        await asyncio.sleep(0.02)
    assert store.listeners == []


async def test_stream_coalesces_a_burst_and_asks_for_resync_past_its_bound():
    class Obj:
        def __init__(self, i: int) -> None:
            self.id = str(i)

    stream = _Stream()
    one = Obj(1)
    stream.push(MESSAGE_ADDED, one)
    stream.push("status", one)
    assert list(stream.pending) == [("message", "1")]  # one entry, the latest state is sent
    for i in range(MAX_PENDING + 5):
        stream.push(MESSAGE_ADDED, Obj(i))
    assert list(stream.pending) == [("resync", "")]
    stream.push(RESET, None)
    assert list(stream.pending) == [("reset", "")]


async def test_server_stops_promptly_with_a_browser_connected(make_app):
    server = TestServer(make_app())
    client = TestClient(server)
    await client.start_server()
    _resp, events = await _open_events(client)
    await _next(events, "hello")
    started = time.monotonic()
    await client.close()
    assert time.monotonic() - started < 3


async def test_stats_count_per_vendor_and_status(client):
    await send_sample(client, "ants")
    await send_sample(client, "ants")
    await send_sample(client, "thaibulksms")
    await services_of(client).callbacks.drain()
    stats = await (await client.get("/_mock/stats")).json()
    assert stats["messages"]["total"] == 3
    assert stats["messages"]["by_vendor"]["ants"] == 2 and stats["messages"]["by_vendor"]["thaibulksms"] == 1
    assert stats["messages"]["by_vendor"]["smartsmsbulk"] == 0 and stats["messages"]["seq"] == 3
    assert sum(stats["messages"]["by_status"].values()) == 3


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_every_sample_curl_line_works_as_shown(client):
    samples = (await (await client.get("/_mock/samples")).json())["samples"]
    assert {s["vendor"] for s in samples} == set(services_of(client).vendors)
    for sample in samples:
        assert sample["curl"].startswith("curl ") and sample["url"].startswith(f"http://{client.host}:{client.port}/")
        proc = await asyncio.create_subprocess_shell(
            sample["curl"] + " -o /dev/null -w '%{http_code}'",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert out.decode() == "200", (sample["vendor"], out, err)
    listing = await (await client.get("/_mock/messages")).json()
    assert sorted(m["vendor"] for m in listing["messages"]) == sorted(s["vendor"] for s in samples)


async def test_accepted_message_keeps_the_exact_request_and_response(client):
    resp = await send_sample(client, "thaibulksms", text=VIETNAMESE)
    answer = await resp.text()
    message_id = json.loads(answer)["phone_number_list"][0]["message_id"]
    detail = await (await client.get(f"/_mock/messages/{message_id}")).json()
    assert detail["request"]["method"] == "POST" and detail["request"]["path"] == "/thaibulksms/sms"
    assert "message=M%C3%A3" in detail["request"]["body"]
    assert detail["request"]["headers"]["Authorization"].startswith("Basic ")  # every header the client sent
    assert detail["response"]["status"] == 200
    assert detail["response"]["body"] == answer
    assert detail["response"]["headers"]["Content-Type"].startswith("application/json")
    assert detail["response"]["truncated"] is False


async def test_message_detail_carries_its_otp(client):
    resp = await send_sample(client, "voiceotp")
    message_id = (await resp.text()).split(",")[-1]
    detail = await (await client.get(f"/_mock/messages/{message_id}")).json()
    assert detail["otp"]["code"] == detail["text"] and detail["otp"]["message_id"] == message_id


async def test_free_text_filter(client):
    await send_sample(client, "ants", text=THAI)
    await send_sample(client, "smartsmsbulk", text="plain hello")
    found = (await (await client.get("/_mock/messages", params={"q": "ยืนยัน"})).json())["messages"]
    assert [m["vendor"] for m in found] == ["ants"]
    found = (await (await client.get("/_mock/messages", params={"q": "PLAIN"})).json())["messages"]
    assert [m["vendor"] for m in found] == ["smartsmsbulk"]


async def test_switch_to_a_shipped_scenario_and_back_on_reset(client, scenario_dir):
    startup = [r["name"] for r in (await (await client.get("/_mock/scenario")).json())["rules"]]
    files = await (await client.get("/_mock/scenario/files")).json()
    assert {"quiet", "always-fail"} <= set(files["files"])
    resp = await client.put("/_mock/scenario", json={"name": "always-fail"})
    assert resp.status == 200, await resp.text()
    rules = (await (await client.get("/_mock/scenario")).json())["rules"]
    assert [r["name"] for r in rules] == ["fail everything"]

    sent = await send_sample(client, "smartsmsbulk")
    ref = (await sent.json())["refId"]
    services = services_of(client)
    for _ in range(100):
        if services.store.get_message(ref).status == "failed":
            break
        await asyncio.sleep(0.02)
    assert services.store.get_message(ref).status == "failed"

    bad = await client.put("/_mock/scenario", json={"name": "no-such-file"})
    assert bad.status == 400 and "no-such-file" in json.dumps(await bad.json())
    await client.post("/_mock/reset")
    assert [r["name"] for r in (await (await client.get("/_mock/scenario")).json())["rules"]] == startup


async def test_ui_is_served_from_the_package(client):
    redirect = await client.get("/_mock/ui", allow_redirects=False)
    assert redirect.status == 302 and redirect.headers["Location"].endswith("ui/")
    page = await client.get("/_mock/ui/")
    html = await page.text()
    assert page.status == 200 and "app.js" in html and '<script src="http' not in html
    for asset, kind in (("app.js", "javascript"), ("app.css", "text/css")):
        resp = await client.get(f"/_mock/ui/{asset}")
        assert resp.status == 200 and kind in resp.headers["Content-Type"]
    assert (await client.get("/_mock/ui/../admin.py")).status in (403, 404)


def test_serve_banner_prints_the_inbox_and_the_page_loads():
    from tests.core.test_cli import start

    proc, base = start("--quiet")
    try:
        banner = []
        while not banner or "/_mock/ui/" not in banner[-1]:
            banner.append(proc.stdout.readline())
        assert banner[-1].split() == ["web", "inbox", f"{base}/_mock/ui/"]
        import urllib.request

        with urllib.request.urlopen(f"{base}/_mock/ui/", timeout=5) as resp:
            assert b"sms-mockserver" in resp.read()
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


async def test_delete_one_message_drops_it_everywhere_and_tells_open_inboxes(aiohttp_client, make_app):
    """``DELETE /_mock/messages/{id}``: 200 ``{"deleted": id}``; the message is gone from the
    detail, the listing, the stats and the health figures (not counted as dropped by the bound);
    an open event stream gets ``deleted`` and no later status of it (its lifecycle runs on)."""
    client = await aiohttp_client(make_app(frozen_clock=True))  # both messages wait at "accepted"
    services = services_of(client)
    keep = (await (await send_sample(client, "thaibulksms")).json())["phone_number_list"][0]["message_id"]
    resp, events = await _open_events(client)
    await _next(events, "hello")
    sent = await send_sample(client, "smartsmsbulk")
    gone = (await sent.json())["refId"]
    await _next(events, "message", lambda m: m["id"] == gone)
    journaled = services.store.get_message(gone)

    deleted = await client.delete(f"/_mock/messages/{gone}")
    assert deleted.status == 200 and await deleted.json() == {"deleted": gone}
    event = await _next(events, "deleted")
    assert event == {"id": gone, "seq": 2, "vendor": "smartsmsbulk"}
    detail = await client.get(f"/_mock/messages/{gone}")
    assert detail.status == 404 and await detail.json() == {"error": "no such message"}
    listing = await (await client.get("/_mock/messages")).json()
    assert [m["id"] for m in listing["messages"]] == [keep] and listing["total"] == 1
    stats = await (await client.get("/_mock/stats")).json()
    assert stats["messages"]["total"] == 1 and stats["messages"]["by_vendor"]["smartsmsbulk"] == 0
    assert stats["messages"]["seq"] == 2  # the newest message the counts include: a delete keeps it
    health = await (await client.get("/_mock/health")).json()
    assert health["messages"] == 1 and health["dropped_messages"] == 0

    # The deleted message still reaches its final state, but no stream hears of it again.
    assert services.store.get_message(keep).status == "accepted"
    services.clock.advance(60)
    assert services.store.get_message(keep).status == "delivered" and journaled.status == "delivered"
    await send_sample(client, "ants")  # a later event: everything before it was flushed
    later = []
    async for kind, data in events:
        later.append((kind, data.get("id")))
        if kind == "message" and data["vendor"] == "ants":
            break
    assert ("message", gone) not in later and ("message", keep) in later
    resp.close()

    # Again, or never there: the same JSON 404 as GET.
    for missing in (gone, "no-such-id"):
        again = await client.delete(f"/_mock/messages/{missing}")
        assert again.status == 404 and again.content_type == "application/json"
        assert await again.json() == {"error": "no such message"}


async def test_delete_message_goes_through_the_admin_guard(client):
    """A page on another origin may not delete (403, the message stays); the inbox's own origin
    and scripts without an Origin may."""
    first = (await (await send_sample(client, "smartsmsbulk")).json())["refId"]
    second = (await (await send_sample(client, "smartsmsbulk", text="another")).json())["refId"]
    base = f"http://{client.host}:{client.port}"
    for headers in ({"Origin": "http://attacker.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = await client.delete(f"/_mock/messages/{first}", headers=headers)
        assert refused.status == 403 and "cross-origin" in (await refused.json())["error"], headers
    assert services_of(client).store.get_message(first) is not None
    foreign_host = await client.delete(f"/_mock/messages/{first}", headers={"Host": "attacker.example"})
    assert foreign_host.status == 403 and services_of(client).store.get_message(first) is not None
    assert (await client.delete(f"/_mock/messages/{first}", headers={"Origin": base})).status == 200
    assert (await client.delete(f"/_mock/messages/{second}")).status == 200
    assert services_of(client).store.messages == {}


async def test_a_deleted_message_supersedes_its_unsent_states_in_a_stream():
    class Obj:
        def __init__(self, i: int) -> None:
            self.id, self.seq, self.vendor = str(i), i, "ants"

    stream = _Stream()
    one, two = Obj(1), Obj(2)
    stream.push(MESSAGE_ADDED, one)
    stream.push(MESSAGE_ADDED, two)
    stream.push(MESSAGE_DELETED, one)
    assert list(stream.pending) == [("message", "2"), ("deleted", "1")]
    again = Obj(1)  # journaled again under the freed id: after the deletion, in order
    stream.push(MESSAGE_ADDED, again)
    assert list(stream.pending)[-2:] == [("deleted", "1"), ("message", "1")]
