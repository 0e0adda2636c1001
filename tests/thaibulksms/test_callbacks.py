"""Delivery reports reach a real receiver with the method the send asked for."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml

from ..conftest import services_of
from .conftest import send

REPORT_KEYS = {"message_id", "msisdn", "status", "sent_time", "done_time", "error_message", "tag"}


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
async def test_delivery_report_for_each_callback_method(client, receiver, method: str) -> None:
    url = receiver.url + "?customer=42"
    data = await (
        await send(client, {"callback_url": url, "callback_method": method.lower(), "tag": "otp,login"})
    ).json()
    message_id = data["phone_number_list"][0]["message_id"]
    [got] = await receiver.wait_for(1)
    assert got.method == method and got.path == "/callback"
    if method == "GET":
        report = dict(got.query)
        assert report.pop("customer") == "42"  # the URL's own query is kept
        assert got.body == b""
    else:
        assert got.query == {"customer": "42"}
        assert got.headers["Content-Type"].startswith("application/json")
        report = got.json()
    assert set(report) == REPORT_KEYS
    assert report["message_id"] == message_id
    assert report["msisdn"] == "66812345678"
    assert report["status"] == "DELIVERED" and report["error_message"] == ""
    assert report["tag"] == "otp,login"
    sent, done = datetime.fromisoformat(report["sent_time"]), datetime.fromisoformat(report["done_time"])
    assert sent.utcoffset().total_seconds() == 7 * 3600 and sent <= done
    await services_of(client).callbacks.drain()
    [record] = services_of(client).store.callbacks.values()
    assert record.state == "delivered" and record.message_ids == [message_id]


async def test_account_default_webhook_and_failed_delivery(tbs_client, receiver, tmp_path) -> None:
    scenario = tmp_path / "undelivered.yaml"
    scenario.write_text(
        yaml.safe_dump({"rules": [{"match": {"recipient": "66899999999"}, "delivery": {"status": "failed"}}]}),
        encoding="utf-8",
    )
    client = await tbs_client(callback_url=receiver.url, callback_method="PUT", scenarios=[scenario])
    await send(client, {"msisdn": "0812345678,0899999999"})
    received = await receiver.wait_for(2)
    reports = {r.json()["msisdn"]: r.json() for r in received}
    assert {r.method for r in received} == {"PUT"}
    assert reports["66812345678"]["status"] == "DELIVERED"
    assert reports["66899999999"]["status"] == "UNDELIVERED"
    assert reports["66899999999"]["error_message"] == "Message could not be delivered."


async def test_receiver_failures_are_retried(client, receiver) -> None:
    receiver.statuses = [500, 503, 200]
    await send(client, {"callback_url": receiver.url})
    await receiver.wait_for(3)
    await services_of(client).callbacks.drain()
    [record] = services_of(client).store.callbacks.values()
    assert [a.status for a in record.attempts] == [500, 503, 200] and record.state == "delivered"


async def test_scheduled_message_reports_after_its_time(client, receiver) -> None:
    services = services_of(client)
    when = services.clock.now() + 3600
    stamp = datetime.fromtimestamp(when, services.clock.datetime().tzinfo).strftime("%Y-%m-%dT%H:%M:%S+07:00")
    await send(client, {"callback_url": receiver.url, "scheduled_delivery": stamp})
    await services.callbacks.drain()
    assert receiver.requests == []
    await client.post("/_mock/clock", json={"advance": "1h1m"})
    [got] = await receiver.wait_for(1)
    assert datetime.fromisoformat(got.json()["sent_time"]).timestamp() >= int(when)
