"""POST /sms/send: answers in JSON and XML, ids, credits, every field limit, balance effects."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from defusedxml import ElementTree as SafeET

from mockserver.clients.ants import AntsError, parse_xml
from tests.conftest import services_of

from .conftest import AUTH, JSON, XML, ants_client

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PENDING_101 = {"code": "101", "name": "PENDING", "description": "Pending - Message has been accepted by the system"}


async def test_send_answers_bulk_and_details(client, ants):
    answer = await ants.send_sms("ANTS", ["66812345678", "66898765432"], "Hello ANTS", message_ids=["my-id-1", None])
    assert UUID.match(answer["bulkId"])
    first, second = answer["details"]
    assert first["messageId"] == "my-id-1"  # the client's id is kept
    assert re.fullmatch(r"[1-9]\d{19}", second["messageId"])  # ours: 20 digits like the seed
    assert [d["to"] for d in answer["details"]] == ["66812345678", "66898765432"]
    for d in answer["details"]:
        assert d["status"] == PENDING_101
        assert Decimal(str(d["credit"])) == Decimal("1.00")
    journal = services_of(client).store.find_messages(vendor="ants")
    assert {m.fields["messageId"] for m in journal} == {"my-id-1", second["messageId"]}
    assert all(m.fields["bulkId"] == answer["bulkId"] for m in journal)
    assert Decimal(str((await ants.balance())["credit"])) == Decimal("998.00")


async def test_client_bulk_id_is_kept_and_thai_text_costs_parts(ants):
    answer = await ants.send_sms("Verify", "66812345678", "ก" * 71, bulk_id="my-bulk-1")
    assert answer["bulkId"] == "my-bulk-1"
    assert Decimal(str(answer["details"][0]["credit"])) == Decimal("2.00")  # UCS-2: 67 per part


async def test_json_credit_is_written_with_two_decimals(client):
    body = {"messages": [{"from": "ANTS", "destinations": [{"to": "66812345678"}], "text": "hi"}]}
    resp = await client.post("/ants/sms/send", json=body, headers=AUTH)
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert '"credit":1.00,' in await resp.text()


async def test_xml_request_and_answer_in_the_seed_element_style(client):
    body = (
        '<?xml version="1.0" encoding="utf-8"?><SMS><messages><message><from>ANTS</from>'
        "<destinations><destination><to>66812345678</to><messageId>x-1</messageId></destination></destinations>"
        "<text>สวัสดี</text><callbackData>d</callbackData></message></messages></SMS>"
    ).encode()
    resp = await client.post("/ants/sms/send", data=body, headers=XML)
    assert resp.status == 200
    assert resp.content_type == "application/xml"
    root = SafeET.fromstring(await resp.read())
    assert root.tag == "SEND"
    detail = root.find("details/detail")
    assert detail.findtext("messageId") == "x-1"
    assert detail.findtext("to") == "66812345678"
    assert detail.findtext("credit") == "1.00"
    assert [c.tag for c in detail.find("status")] == ["code", "name", "description"]
    assert detail.findtext("status/code") == "101"
    assert services_of(client).store.find_messages(vendor="ants")[0].text == "สวัสดี"


@pytest.mark.parametrize(
    "headers",
    [
        {**AUTH, "Content-Type": "application/xml"},  # no Accept: XML in, XML out
        {**AUTH, "Content-Type": "application/json", "Accept": "application/json;q=0.5, application/xml"},
        {**AUTH, "Content-Type": "text/xml", "Accept": "text/xml"},
    ],
)
async def test_answer_format_follows_accept_then_content_type(client, headers):
    if "json" in headers["Content-Type"]:
        data = json.dumps({"messages": [{"from": "ANTS", "destinations": "66812345678", "text": "x"}]})
    else:
        data = (
            "<SMS><messages><message><from>ANTS</from><destinations>66812345678</destinations>"
            "<text>x</text></message></messages></SMS>"
        )
    resp = await client.post("/ants/sms/send", data=data, headers=headers)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/xml"
    assert parse_xml(await resp.read())["details"][0]["status"]["code"] == "101"


@pytest.mark.parametrize(
    "destinations", ["66812345678", ["66812345678"], [{"to": "66812345678"}], [{"to": 66812345678}]]
)
async def test_destinations_as_objects_or_a_single_string(client, destinations):
    body = {"messages": [{"from": "ANTS", "destinations": destinations, "text": "x"}]}
    resp = await client.post("/ants/sms/send", json=body, headers=AUTH)
    data = await resp.json()
    assert resp.status == 200, data
    assert [d["to"] for d in data["details"]] == ["66812345678"]


async def test_several_messages_in_one_request(ants):
    answer = await ants.send(
        [
            {"from": "ANTS", "destinations": [{"to": "66811111111"}], "text": "one"},
            {"from": "Verify", "destinations": [{"to": "66822222222"}, {"to": "66833333333"}], "text": "two"},
        ]
    )
    assert [d["to"] for d in answer["details"]] == ["66811111111", "66822222222", "66833333333"]


# -- per-destination refusals -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"from": "ANTS", "destinations": [{"to": "0812345678"}]}, "Invalid destination address"),
        ({"from": "ANTS", "destinations": [{"to": "66-81"}]}, "Invalid destination address"),
        ({"from": "NotMine", "destinations": [{"to": "66812345678"}]}, "Sender name is not allowed for this account"),
        (
            {"from": "ANTS", "destinations": [{"to": "66812345678", "messageId": "m" * 201}]},
            "messageId must be at most 200 characters",
        ),
    ],
)
async def test_refused_destination_is_rejected_with_its_reason(client, ants, message, reason):
    answer = await ants.send([{**message, "text": "x"}])
    detail = answer["details"][0]
    assert detail["status"] == {"code": "5", "name": "REJECTED", "description": reason}
    assert Decimal(str(detail["credit"])) == 0
    assert services_of(client).store.find_messages(vendor="ants") == []  # nothing sent, nothing charged
    assert Decimal(str((await ants.balance())["credit"])) == Decimal("1000.00")


async def test_message_id_of_200_characters_is_kept(ants):
    answer = await ants.send(
        [{"from": "ANTS", "destinations": [{"to": "66812345678", "messageId": "m" * 200}], "text": "x"}]
    )
    assert answer["details"][0]["status"]["code"] == "101"
    assert answer["details"][0]["messageId"] == "m" * 200


async def test_prepaid_credit_runs_out_per_destination(aiohttp_client, make_app):
    config = {
        "vendors": {"ants": {"accounts": [{"username": "poor", "password": "p", "senders": ["ANTS"], "credit": 1}]}}
    }
    client = await aiohttp_client(make_app(config))
    ants = ants_client(client, user="poor", password="p")
    answer = await ants.send_sms("ANTS", ["66811111111", "66822222222"], "x")
    assert [d["status"]["name"] for d in answer["details"]] == ["PENDING", "REJECTED"]
    assert answer["details"][1]["status"]["description"] == "Insufficient credit"


# -- request-level field limits -------------------------------------------------------------------------
OK = {"from": "ANTS", "destinations": [{"to": "66812345678"}], "text": "x"}


def _msg(**changes):
    return {"messages": [{**OK, **changes}]}


LIMITS = [
    # (body, error description) -- the public field table
    (_msg(**{"from": "A" * 12}), "from is required: at most 11 characters, space is not allowed"),
    (_msg(**{"from": "MY SHOP"}), "from is required: at most 11 characters, space is not allowed"),
    (_msg(**{"from": ""}), "from is required: at most 11 characters, space is not allowed"),
    (_msg(text="x" * 1601), "text must be at most 1600 characters"),
    (_msg(text=""), "text is required"),
    (_msg(destinations=[{"to": "66812345678"}] * 501), "destinations must have at most 500 numbers"),
    (_msg(destinations=[]), "destinations is required"),
    (_msg(notifyUrl="http://example.com/" + "a" * 132), "notifyUrl must be an http(s) URL of at most 150 characters"),
    (_msg(notifyUrl="ftp://example.com/x"), "notifyUrl must be an http(s) URL of at most 150 characters"),
    (_msg(notifyContentType="text/plain"), "notifyContentType must be application/json or application/xml"),
    (_msg(shorturl="yes"), "shorturl must be y or n"),
    (_msg(callbackData=5), "callbackData must be a string"),
    ({"bulkId": "b" * 51, **_msg()}, "bulkId must be a string of at most 50 characters"),
    ({"messages": []}, "messages is required"),
    ({}, "messages is required"),
]


@pytest.mark.parametrize(("body", "description"), LIMITS)
async def test_field_limits_refuse_the_whole_request(client, body, description):
    resp = await client.post("/ants/sms/send", json=body, headers=JSON)
    assert resp.status == 400
    assert await resp.json() == {"error": {"code": "5", "name": "REJECTED", "description": description}}
    assert services_of(client).store.find_messages(vendor="ants") == []


@pytest.mark.parametrize(
    "body",
    [
        _msg(**{"from": "A" * 11}),
        _msg(text="x" * 1600),
        _msg(destinations=[{"to": f"66812{n:06d}"} for n in range(500)]),
        _msg(notifyUrl="http://example.com/" + "a" * 131),
        {"bulkId": "b" * 50, **_msg()},
        _msg(shorturl="y", notifyContentType="application/xml", callbackData="c"),
    ],
)
async def test_values_at_the_limits_are_accepted(client, body):
    resp = await client.post("/ants/sms/send", json=body, headers=JSON)
    assert resp.status == 200, await resp.text()


async def test_field_limit_in_xml_answers_xml_error(client, fmt):
    body = (
        "<SMS><messages><message><from>TWELVE_CHARS</from><destinations>66812345678</destinations>"
        "<text>x</text></message></messages></SMS>"
    )
    resp = await client.post("/ants/sms/send", data=body, headers=XML)
    assert resp.status == 400
    assert parse_xml(await resp.read()) == {
        "error": {
            "code": "5",
            "name": "REJECTED",
            "description": "from is required: at most 11 characters, space is not allowed",
        }
    }


async def test_reference_client_raises_the_vendor_error(ants):
    with pytest.raises(AntsError) as info:
        await ants.send_sms("ANTS", "66812345678", "x" * 1601)
    assert info.value.status == 400
    assert info.value.error["description"] == "text must be at most 1600 characters"


async def test_real_host_header_reaches_the_vendor(client):
    body = _msg()
    resp = await client.post("/sms/send", json=body, headers={**JSON, "Host": "api-service.ants.co.th"})
    assert resp.status == 200
    assert (await resp.json())["details"][0]["status"]["code"] == "101"


async def test_same_seed_same_ids(aiohttp_client, make_app):
    answers = []
    for _ in range(2):
        client = await aiohttp_client(make_app(seed=7))
        answers.append(await ants_client(client).send_sms("ANTS", ["66811111111", "66822222222"], "x"))
    assert answers[0] == answers[1]


async def test_sample_send_is_a_valid_request(client):
    vendor = services_of(client).vendors["ants"]
    sample = vendor.sample_send(vendor.sample_recipient(500), "hello")  # 1..899: magic numbers
    resp = await client.request(sample.method, sample.path, data=sample.body, headers=sample.headers)
    data = await resp.json()
    assert resp.status == 200, data
    assert data["details"][0]["to"] == "66899900500"
    assert data["details"][0]["status"]["code"] == "101"
