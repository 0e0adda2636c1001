"""The virtual clock: timers in due order, moves that fire everything due at once, frozen start,
and the behaviours that follow it (delivery, OTP expiry, scheduled sends)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest

from mockserver.app import SERVICES
from mockserver.core.clock import BANGKOK, Clock, parse_duration, parse_instant
from mockserver.core.store import Message

from .lifecycle_helpers import BIG_ACCOUNT, OTP_ID, OTP_SEND, OTP_VERIFY, phone, send


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("1h", 3600), ("1h30m", 5400), ("250ms", 0.25), ("2d", 172800), (12, 12), (1.5, 1.5), ("3", 3)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "1x", "h1", True])
def test_parse_duration_refuses_nonsense(text):
    with pytest.raises(ValueError):
        parse_duration(text)


async def test_advance_fires_due_timers_in_order_at_their_own_instants():
    clock = Clock(frozen=True, start=1_000.0)
    await clock.start()
    seen: list[tuple[str, float]] = []
    clock.call_at(1_030.0, lambda: seen.append(("c", clock.now())))
    clock.call_at(1_010.0, lambda: seen.append(("a", clock.now())))
    clock.call_at(1_020.0, lambda: seen.append(("b", clock.now())))
    clock.call_at(5_000.0, lambda: seen.append(("late", clock.now())))
    await asyncio.sleep(0.02)
    assert seen == []  # frozen: real time does not move it
    assert clock.advance(60) == 3
    assert seen == [("a", 1_010.0), ("b", 1_020.0), ("c", 1_030.0)]
    assert clock.now() == 1_060.0
    assert clock.pending() == 1
    await clock.stop()


async def test_timers_set_by_timers_fire_within_the_same_move():
    clock = Clock(frozen=True, start=0.0)
    seen: list[float] = []

    def first() -> None:
        seen.append(clock.now())
        clock.call_later(5, lambda: seen.append(clock.now()))

    clock.call_at(10, first)
    clock.advance(100)
    assert seen == [10, 15]


async def test_a_failing_timer_does_not_stop_the_others():
    clock = Clock(frozen=True, start=0.0)
    seen = []
    clock.call_at(1, lambda: 1 / 0)
    clock.call_at(2, lambda: seen.append(2))
    clock.advance(5)
    assert seen == [2]


async def test_cancelled_timer_never_runs():
    clock = Clock(frozen=True, start=0.0)
    seen = []
    timer = clock.call_at(1, lambda: seen.append(1))
    timer.cancel()
    clock.advance(5)
    assert seen == [] and clock.pending() == 0


async def test_running_clock_fires_timers_in_real_time():
    clock = Clock()
    await clock.start()
    done = asyncio.Event()
    started = time.monotonic()
    clock.call_later(0.05, done.set)
    await asyncio.wait_for(done.wait(), 2)
    assert time.monotonic() - started >= 0.04
    await clock.stop()


async def test_sleep_on_the_virtual_clock_wakes_on_advance():
    clock = Clock(frozen=True, start=0.0)
    await clock.start()
    sleeper = asyncio.create_task(clock.sleep(3600))
    await asyncio.sleep(0.01)
    assert not sleeper.done()
    clock.advance(3600)
    await asyncio.wait_for(sleeper, 1)
    await clock.stop()


def test_the_clock_only_moves_forward():
    clock = Clock(frozen=True, start=100.0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(50.0)
    with pytest.raises(ValueError):
        clock.advance(float("inf"))


def test_freeze_and_resume():
    clock = Clock()
    clock.freeze()
    frozen_at = clock.now()
    time.sleep(0.01)
    assert clock.now() == frozen_at
    clock.resume()
    time.sleep(0.01)
    assert clock.now() > frozen_at


# -- through the admin API ------------------------------------------------------------------------
async def test_post_clock_advance_fires_due_deliveries_at_once(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(fast=False, frozen_clock=True))
    services = client.server.app[SERVICES]
    ref = await send(client)
    before = (await (await client.get("/_mock/clock")).json())["now"]
    await asyncio.sleep(0.05)
    assert services.store.get_message(ref).status == "accepted"
    resp = await client.post("/_mock/clock", json={"advance": "1h"})
    assert resp.status == 200
    state = await resp.json()
    # No report to send and nobody watching: the message's steps are planned, not timers.
    assert state["fired"] == 0 and state["frozen"] is True
    assert services.store.get_message(ref).status == "delivered"
    assert state["now"] == pytest.approx(before + 3600)
    message = await (await client.get(f"/_mock/messages/{ref}")).json()
    created = message["created_at"]
    assert [(t["status"], round(t["at"] - created, 3)) for t in message["timeline"]] == [
        ("accepted", 0),
        ("sent", 0.2),  # the default timings, stamped at their own instants
        ("delivered", 1.0),
    ]


async def test_post_clock_set_to_an_iso_instant(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(frozen_clock=True))
    resp = await client.post("/_mock/clock", json={"set": "2031-06-16T10:30:00+07:00"})
    state = await resp.json()
    assert resp.status == 200
    assert state["iso"] == "2031-06-16T10:30:00+07:00"
    assert state["now"] == datetime(2031, 6, 16, 10, 30, tzinfo=BANGKOK).timestamp()


@pytest.mark.parametrize(
    "body",
    [
        {"advance": "-1h"},
        {"advance": "soon"},
        {"advance": True},
        {"advance": [1]},
        {"set": "2000-01-01T00:00:00+07:00"},  # backwards
        {"set": "yesterday"},
        {"set": 5},
        {"advance": "1h", "set": "2031-01-01T00:00:00Z"},
        {"freeze": "yes"},
        {"rewind": "1h"},
    ],
)
async def test_post_clock_refuses_bad_moves(client, body):
    resp = await client.post("/_mock/clock", json=body)
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_post_clock_with_broken_json_is_400(client):
    resp = await client.post("/_mock/clock", data=b"{nope", headers={"Content-Type": "application/json"})
    assert resp.status == 400


async def test_freeze_and_resume_through_the_api(client):
    frozen = await (await client.post("/_mock/clock", json={"freeze": True})).json()
    assert frozen["frozen"] is True
    await asyncio.sleep(0.02)
    assert (await (await client.get("/_mock/clock")).json())["now"] == frozen["now"]
    resumed = await (await client.post("/_mock/clock", json={"freeze": False})).json()
    assert resumed["frozen"] is False


async def test_otp_expiry_follows_the_clock(aiohttp_client, make_app):
    from tests.smartsmsbulk.signing import checksum

    client = await aiohttp_client(make_app(BIG_ACCOUNT, frozen_clock=True))
    body = {"otpId": OTP_ID, "userId": 42, "partnerId": 21, "phoneNo": phone(7)}
    body["chksum"] = checksum("otp_send", body, "demo-smartsmsbulk-key-42")
    sent = await (await client.post(OTP_SEND, json=body)).json()
    otp = await (await client.get("/_mock/otp", params={"phone": phone(7)})).json()
    await client.post("/_mock/clock", json={"advance": "301s"})  # validity is 300 s
    verify = {"otpId": OTP_ID, "phoneNo": phone(7), "refCode": sent["refCode"], "otpCode": otp["code"]}
    answer = await (await client.post(OTP_VERIFY, json=verify)).json()
    assert answer == {"status": "ERR", "detail": "OTP is expired"}


async def test_scheduled_send_waits_for_the_clock(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(frozen_clock=True))
    services = client.server.app[SERVICES]
    now = services.clock.now()
    message = services.store.add_message(
        Message("m-1", "smartsmsbulk", "send_sms", "42", phone(1), "later", "25", "GSM-7", 1, 1, now)
    )
    services.delivery.track(message, start_at=now + 86_400)
    assert message.status == "scheduled"
    await client.post("/_mock/clock", json={"advance": "23h"})
    assert message.status == "scheduled"
    await client.post("/_mock/clock", json={"advance": "1h1s"})
    assert [s for s, _ in message.timeline] == ["accepted", "scheduled", "sent", "delivered"]
    assert message.timeline[-1][1] - now == pytest.approx(86_400 + 0.05)  # FAST final_after


def test_parse_instant_naive_is_bangkok():
    assert parse_instant("2026-06-16T10:30:00") == parse_instant("2026-06-16T10:30:00+07:00")
