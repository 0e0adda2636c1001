"""Delivery reports to a real receiver in JSON and XML, message logs over the lifecycle,
preview, balance and sender list."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mockserver.clients.ants import DeliveryReport, ReportDetail, ReportStatus, parse_delivery_report, parse_xml
from tests.conftest import services_of

from .conftest import AUTH, SEED_CALLBACK_AUTH, ants_client

DELIVERED = ReportStatus("000", "DELIVERED", "Successfully sent to phone")


@pytest.mark.parametrize("content_type", ["application/json", "application/xml"])
async def test_delivery_report_reaches_a_real_receiver(client, receiver, content_type):
    ants = ants_client(client)
    sent = await ants.send_sms(
        "Verify",
        ["66812345678"],
        "เชิญชวนร่วมกิจกรรม วิ่งการกุศล ANTS มาราธอน",
        message_ids=["25501288135972440649"],
        notify_url=receiver.url,
        notify_content_type=content_type,
        callback_data="ANTS Data",
    )
    (got,) = await receiver.wait_for(1)
    assert got.method == "POST"
    assert got.headers["Authorization"] == SEED_CALLBACK_AUTH
    assert got.headers["Content-Type"].startswith(content_type)
    if content_type == "application/xml":
        assert got.body.decode("utf-16").startswith('<?xml version="1.0" encoding="utf-16"?>\n<CALLBACK xmlns:xsi=')
    report = parse_delivery_report(got.body, got.headers["Content-Type"])
    logs = await ants.loginfo(bulk_id=sent["bulkId"])
    log = logs[0]["details"][0]
    assert report == DeliveryReport(
        bulk_id=sent["bulkId"],
        details=(
            ReportDetail(
                message_id="25501288135972440649",
                to="66812345678",
                sender="Verify",
                text="เชิญชวนร่วมกิจกรรม วิ่งการกุศล ANTS มาราธอน",
                credit=Decimal("1.00"),
                send_date=log["sendDate"],
                done_date=log["doneDate"],
                status=DELIVERED,
                callback_data="ANTS Data",
            ),
        ),
    )
    assert log["doneDate"] is not None
    # what the dispatcher journaled is what the receiver got
    record = next(services_of(client).store.iter_callbacks())
    assert record.body == got.body and record.state == "delivered"


async def test_json_report_has_the_seed_keys_in_order(client, receiver):
    await ants_client(client).send_sms("ANTS", "66812345678", "hi", notify_url=receiver.url, callback_data="d")
    (got,) = await receiver.wait_for(1)
    data = got.json()
    assert list(data) == ["bulkId", "details"]
    assert list(data["details"][0]) == [
        "messageId",
        "to",
        "from",
        "text",
        "credit",
        "sendDate",
        "doneDate",
        "status",
        "callbackData",
    ]
    assert b'"credit":1.00,' in got.body
    assert data["details"][0]["status"] == {
        "code": "000",
        "name": "DELIVERED",
        "description": "Successfully sent to phone",
    }


async def test_xml_report_elements_match_the_seed(client, receiver):
    await ants_client(client).send_sms(
        "ANTS", "66812345678", "hi", notify_url=receiver.url, notify_content_type="application/xml"
    )
    (got,) = await receiver.wait_for(1)
    data = parse_xml(got.body)
    assert list(data) == ["bulkId", "details"]
    assert list(data["details"][0]) == [
        "messageId",
        "to",
        "from",
        "text",
        "credit",
        "sendDate",
        "doneDate",
        "status",
        "callbackData",
    ]
    assert data["details"][0]["credit"] == "1.00"
    assert data["details"][0]["callbackData"] is None  # not given: xsi:nil


async def test_account_default_callback_without_credentials(aiohttp_client, make_app, receiver):
    config = {
        "vendors": {
            "ants": {
                "accounts": [
                    {
                        "username": "u",
                        "password": "p",
                        "senders": ["ANTS"],
                        "credit": 5,
                        "callback_url": receiver.url,
                        "callback_content_type": "application/xml",
                    }
                ]
            }
        }
    }
    client = await aiohttp_client(make_app(config))
    await ants_client(client, user="u", password="p").send_sms("ANTS", "66812345678", "hi")
    (got,) = await receiver.wait_for(1)
    assert "Authorization" not in got.headers
    assert parse_delivery_report(got.body, "application/xml").details[0].status == DELIVERED


@pytest.mark.parametrize(
    ("delivery", "status"),
    [
        ({"status": "failed", "code": "207"}, ReportStatus("207", "UNDELIVERED", "Authentication failed")),
        ({"status": "failed"}, ReportStatus("2", "UNDELIVERED", "Message is undeliverable.")),
        ({"status": "expired"}, ReportStatus("4", "EXPIRED", "Message is expired.")),
        ({"status": "rejected", "code": 208}, ReportStatus("208", "UNDELIVERED", "Service blocked")),
        ({"status": "rejected", "code": "512"}, ReportStatus("512", "REJECTED", "Message is rejected.")),
    ],
)
async def test_final_status_follows_the_scenario(client, receiver, delivery, status):
    services_of(client).scenarios.add({"match": {"vendor": "ants"}, "delivery": delivery})
    await ants_client(client).send_sms("ANTS", "66812345678", "hi", notify_url=receiver.url)
    (got,) = await receiver.wait_for(1)
    assert parse_delivery_report(got.body).details[0].status == status


async def test_report_is_retried_until_received(client, receiver):
    receiver.statuses = [500, 404, 200]
    await ants_client(client).send_sms("ANTS", "66812345678", "hi", notify_url=receiver.url)
    got = await receiver.wait_for(3)
    assert got[0].body == got[2].body


# -- message logs ---------------------------------------------------------------------------------
async def test_loginfo_follows_the_lifecycle_and_window(frozen, fmt):
    ants = ants_client(frozen, xml=fmt == "xml")
    clock = services_of(frozen).clock
    sent = await ants.send_sms("ANTS", ["66812345678", "66899999999"], "hello", message_ids=["a-1", "a-2"])

    async def status(**filters):
        found = await ants.loginfo(**filters)
        return [(d["messageId"], d["status"]["code"], d["doneDate"]) for bulk in found for d in bulk["details"]]

    assert await status(bulk_id=sent["bulkId"]) == [("a-1", "101", None), ("a-2", "101", None)]
    clock.advance(0.03)  # sent_after
    assert await status(message_id="a-1") == [("a-1", "102", None)]
    clock.advance(0.05)  # final_after
    ((mid, code, done),) = await status(mobile="0812345678")  # national form finds the number too
    assert (mid, code) == ("a-1", "000") and done
    now = clock.datetime()
    assert await status(send_date_start=now.strftime("%Y-%m-%d 00:00:00"), mobile="66899999999") == [
        ("a-2", "000", done)
    ]
    assert await status(send_date_end="2000-01-01 00:00:00") == []
    clock.advance(48 * 3600 + 1)
    assert await status(bulk_id=sent["bulkId"]) == []


async def test_loginfo_shows_only_the_callers_messages(aiohttp_client, make_app):
    config = {
        "vendors": {
            "ants": {
                "accounts": [
                    {"username": "a", "password": "a", "senders": ["ANTS"], "credit": 5},
                    {"username": "b", "password": "b", "senders": ["ANTS"], "credit": 5},
                ]
            }
        }
    }
    client = await aiohttp_client(make_app(config))
    sent = await ants_client(client, user="a", password="a").send_sms("ANTS", "66812345678", "x")
    assert await ants_client(client, user="b", password="b").loginfo(bulk_id=sent["bulkId"]) == []
    assert len(await ants_client(client, user="a", password="a").loginfo(bulk_id=sent["bulkId"])) == 1


@pytest.mark.parametrize(
    ("query", "description"),
    [
        ("", "At least one of bulkId, messageId, mobile, sendDateStart, sendDateEnd is required"),
        ("?bulkId=", "At least one of bulkId, messageId, mobile, sendDateStart, sendDateEnd is required"),
        ("?sendDateStart=yesterday", "sendDateStart and sendDateEnd must be dates as yyyy-MM-dd HH:mm:ss"),
    ],
)
async def test_loginfo_rules(client, query, description):
    resp = await client.get("/ants/sms/loginfo" + query, headers=AUTH)
    assert resp.status == 400
    assert (await resp.json())["error"]["description"] == description


# -- preview, balance, senders ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "credit", "left"),
    [("Hello ANTS", "1.00", 150), ("x" * 161, "2.00", 306 - 161), ("ก" * 71, "2.00", 134 - 71)],
)
async def test_preview(ants, fmt, text, credit, left):
    answer = await ants.preview(text)
    expected = {"originalMessage": text, "credit": credit, "character": left}
    if fmt == "xml":
        expected["character"] = str(left)
    assert answer == expected


async def test_preview_needs_a_message(client):
    resp = await client.post("/ants/sms/preview", json={"message": ""}, headers=AUTH)
    assert resp.status == 400
    assert (await resp.json())["error"]["description"] == "message is required"


async def test_balance_and_senders(ants, fmt):
    balance = await ants.balance()
    assert balance["type"] == "prepaid"
    assert Decimal(str(balance["credit"])) == Decimal("1000")
    assert await ants.sender_list() == ["ANTS", "Verify"]


async def test_balance_without_a_body(client):
    resp = await client.post("/ants/account/balance", headers=AUTH, skip_auto_headers=["Content-Type"])
    assert resp.status == 200
    assert await resp.text() == '{"type":"prepaid","credit":1000.00}'
