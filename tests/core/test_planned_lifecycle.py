"""The lazy lifecycle: a message whose steps nobody acts on is planned, read off the clock, with
nothing on the clock's heap; everything a user looks at stays as it was with timers. A message
with a report to send, a scheduled send, or one somebody listens to gets its steps scheduled."""

from __future__ import annotations

import asyncio

from mockserver.app import SERVICES
from mockserver.core.store import MESSAGE_STATUS

from .lifecycle_helpers import BIG_ACCOUNT, send


async def clock_state(client) -> dict:
    return await (await client.get("/_mock/clock")).json()


async def advance(client, seconds: float) -> dict:
    resp = await client.post("/_mock/clock", json={"advance": seconds})
    assert resp.status == 200
    return await resp.json()


async def timeline(client, ref: str) -> list[tuple[str, float]]:
    message = await (await client.get(f"/_mock/messages/{ref}")).json()
    return [(t["status"], round(t["at"] - message["created_at"], 3)) for t in message["timeline"]]


async def test_messages_without_reports_leave_the_clock_empty_and_still_move(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(BIG_ACCOUNT, fast=False, frozen_clock=True))
    refs = [await send(client, n) for n in range(50)]
    assert (await clock_state(client))["pending_timers"] == 0
    assert await timeline(client, refs[0]) == [("accepted", 0)]
    await advance(client, 0.2)
    assert await timeline(client, refs[0]) == [("accepted", 0), ("sent", 0.2)]
    listed = await (await client.get("/_mock/messages", params={"status": "sent"})).json()
    assert listed["count"] == 50
    fired = (await advance(client, 0.8))["fired"]
    assert fired == 0
    assert await timeline(client, refs[-1]) == [("accepted", 0), ("sent", 0.2), ("delivered", 1.0)]
    listed = await (await client.get("/_mock/messages", params={"status": "delivered"})).json()
    assert listed["count"] == 50


async def test_a_message_with_a_callback_url_gets_its_steps_scheduled(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(BIG_ACCOUNT, fast=False, frozen_clock=True))
    await send(client, 1, callback_url="http://127.0.0.1:9/reports")
    assert (await clock_state(client))["pending_timers"] == 2  # sent, delivered: the report follows


async def test_a_listener_added_mid_flight_hears_the_remaining_steps(aiohttp_client, make_app):
    """The web inbox starts listening after messages were accepted: it must still see them move."""
    client = await aiohttp_client(make_app(BIG_ACCOUNT, fast=False, frozen_clock=True))
    services = client.server.app[SERVICES]
    early = await send(client, 1)
    await advance(client, 0.5)  # sent already, not delivered
    heard: list[tuple[str, str]] = []

    def listen(kind: str, obj) -> None:
        if kind == MESSAGE_STATUS:
            heard.append((obj.id, obj.status))

    services.store.add_listener(listen)
    late = await send(client, 2)  # accepted while somebody listens: scheduled from the start
    await advance(client, 2)
    assert (early, "delivered") in heard
    assert [s for i, s in heard if i == late] == ["sent", "delivered"]
    assert await timeline(client, early) == [("accepted", 0), ("sent", 0.2), ("delivered", 1.0)]


async def test_finishing_a_planned_message_by_hand_stops_its_plan(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(BIG_ACCOUNT, fast=False, frozen_clock=True))
    ref = await send(client, 3)
    await advance(client, 0.3)
    resp = await client.post(f"/_mock/messages/{ref}/deliver", json={"status": "failed"})
    assert resp.status == 200, await resp.text()
    await advance(client, 5)
    steps = await timeline(client, ref)
    assert [s for s, _ in steps] == ["accepted", "sent", "failed"]
    assert steps[1] == ("sent", 0.2)
    message = await (await client.get(f"/_mock/messages/{ref}")).json()
    assert message["status"] == "failed" and message["final"]["manual"] is True


async def test_planned_messages_follow_a_running_clock(aiohttp_client, make_app):
    quick = {**BIG_ACCOUNT, "delivery": {"sent_after": 0.05, "final_after": 0.1}}
    client = await aiohttp_client(make_app(quick, fast=False))
    ref = await send(client, 4)
    await asyncio.sleep(0.3)
    message = await (await client.get(f"/_mock/messages/{ref}")).json()
    assert message["status"] == "delivered"
    assert [t["status"] for t in message["timeline"]] == ["accepted", "sent", "delivered"]
