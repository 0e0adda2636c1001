"""The legacy API ``www.thaibulksms.com/sms_api.php`` as PyPI ``python-thaibulksms`` 0.0.2 calls it.

The client posts ``urlencode(data)`` with ``accept: application/xml`` and
``content-type: application/x-www-form-urlencoded``, then parses the XML: for a root ``sms`` (any
case), each child's elements by lower-cased tag, ``detail``/``msisdn``/``transaction`` as text and
``status``/``usedcredit``/``remaincredit`` through ``int()``. ``parse_like_the_client`` does the same.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest

from mockserver.core.clock import BANGKOK

HEADERS = {"accept": "application/xml", "content-type": "application/x-www-form-urlencoded"}
HOST = {"Host": "www.thaibulksms.com"}
V2_KEY = b"c30eeef23eab29631ac350b6bd6ef6f9:aeb2a61fe2d4f97ff069ea7e030cb193"
TEXT_TAGS = ("detail", "msisdn", "transaction")
INT_TAGS = ("status", "usedcredit", "remaincredit")


def parse_like_the_client(text: str) -> list[dict]:
    root = ET.fromstring(text)
    assert root.tag.lower() == "sms"
    out = []
    for queue in root:
        contents: dict = {}
        for el in queue.iter():
            tag = el.tag.lower()
            if tag in TEXT_TAGS:
                contents[tag] = el.text
            elif tag in INT_TAGS:
                contents[tag] = int(el.text)
        out.append(contents)
    return out


def form(msisdn="0899999999", message="Hello! How are you?", corporate=False, sender=None, schedule=None, **kw):
    """The client's ``thaibulksms_sms`` data dict, in its order."""
    data = {
        "username": "demo",
        "password": "demo-thaibulksms-pass",
        "msisdn": msisdn,
        "message": message,
        "force": "premium" if corporate else "standard",
    }
    if schedule:
        data["ScheduledDelivery"] = schedule
    if sender:
        data["sender"] = sender
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


async def call(client, data, *, host=True):
    path = "/sms_api.php" if host else "/thaibulksms-legacy/sms_api.php"
    headers = dict(HEADERS, **(HOST if host else {}))
    response = await client.post(path, data=urlencode(data), headers=headers)
    assert response.content_type == "application/xml"
    return response.status, parse_like_the_client(await response.text())


async def credit(client):
    response = await client.get(
        "/thaibulksms/credit", headers={"Authorization": "Basic " + base64.b64encode(V2_KEY).decode()}
    )
    return (await response.json())["remaining_credit"]


@pytest.mark.parametrize("host", [True, False])
async def test_client_send_succeeds_and_shares_credit_and_journal(client, host):
    before = await credit(client)
    status, queues = await call(client, form(sender="MySMS"), host=host)
    assert status == 200
    [q] = queues
    assert q["status"] == 1 and q["msisdn"] == "66899999999" and q["usedcredit"] == 1
    assert q["remaincredit"] == before["standard"] - 1 == (await credit(client))["standard"]
    messages = (await (await client.get("/_mock/messages")).json())["messages"]
    [m] = [m for m in messages if m["id"] == q["transaction"]]
    assert m["vendor"] == "thaibulksms" and m["operation"] == "legacy_send_sms" and m["sender"] == "MySMS"


async def test_corporate_is_premium_and_sender_defaults(client):
    before = await credit(client)
    status, [q] = await call(client, form(corporate=True))
    assert status == 200 and q["status"] == 1
    assert q["remaincredit"] == before["corporate"] - 1
    messages = (await (await client.get("/_mock/messages")).json())["messages"]
    assert messages[0]["sender"] == "SMS."


async def test_several_numbers_with_a_bad_one(client):
    status, queues = await call(client, form(msisdn="0812345678,12345,+66812345679"))
    assert status == 200
    assert [(q["msisdn"], q["status"]) for q in queues] == [("66812345678", 1), ("66812345679", 1), ("12345", 0)]
    assert queues[2]["detail"] and "transaction" not in queues[2]
    assert queues[0]["remaincredit"] == queues[1]["remaincredit"]


async def test_scheduled_delivery_yymmddhhmm(client):
    now = (await (await client.get("/_mock/clock")).json())["now"]
    when = (datetime.fromtimestamp(now, BANGKOK) + timedelta(days=2)).strftime("%y%m%d%H%M")
    status, [q] = await call(client, form(schedule=when))
    assert status == 200 and q["status"] == 1
    messages = (await (await client.get("/_mock/messages")).json())["messages"]
    assert messages[0]["status"] == "scheduled"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (form(password="wrong"), "Authentication failed."),
        (form(username=None, password=None), "Authentication failed."),
        (form(msisdn="12345"), "MSISDN is invalid."),
        (form(force="gold"), "Force is invalid."),
        (form(sender="Nobody"), None),
        (form(schedule="2613"), "Scheduled delivery must be ISO-8601 (RFC-3339) format"),
        (form(schedule="0001010000"), "Scheduled delivery must be ISO-8601 (RFC-3339) format"),
        (form(message=None), "Form is invalid."),
    ],
)
async def test_refusals_are_one_queue_with_status_0_and_a_detail(client, data, reason):
    status, queues = await call(client, data)
    assert status == 200
    assert len(queues) == 1 and queues[0]["status"] == 0 and queues[0]["detail"]
    assert set(queues[0]) == {"status", "detail"}
    if reason:
        assert queues[0]["detail"] == reason
    assert (await (await client.get("/_mock/messages")).json())["messages"] == []


async def test_insufficient_credit_sends_nothing(aiohttp_client, make_app):
    config = {
        "vendors": {
            "thaibulksms": {
                "accounts": [
                    {
                        "api_key": "k",
                        "api_secret": "s",
                        "senders": ["Demo"],
                        "credit": {"standard": 0},
                        "username": "demo",
                        "password": "demo-thaibulksms-pass",
                    }
                ]
            }
        }
    }
    client = await aiohttp_client(make_app(config))
    status, [q] = await call(client, form())
    assert status == 200 and q["status"] == 0 and "credit" in q["detail"].lower()


async def test_unknown_path_and_wrong_method_keep_their_status_with_xml(client):
    response = await client.post("/nothing.php", data="a=b", headers=dict(HEADERS, **HOST))
    assert response.status == 404 and parse_like_the_client(await response.text())[0]["status"] == 0
    response = await client.get("/sms_api.php", headers=HOST)
    assert response.status == 405 and parse_like_the_client(await response.text())[0]["status"] == 0
