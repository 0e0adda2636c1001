"""ANTS SMS 2-Way Interactive through ``POST /_mock/inbound``, with a real customer server.

The customer (a real aiohttp server on an ephemeral port) answers as a test scripts it: the
page's success answer, one of its own 3xx codes, garbage, an error status or nothing at all.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from mockserver.vendors.ants import twoway
from tests.ants.conftest import SEED_CALLBACK_AUTH
from tests.conftest import services_of

SUBSCRIBER = "66812345678"


@dataclass
class Customer:
    """A 2-way customer: records each request and answers with ``answer(body)`` (status, payload)."""

    answer: Any = None  # callable(dict) -> (status, bytes)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""
    event: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append((dict(request.headers), raw))
        self.event.set()
        status, payload = self.answer(json.loads(raw))
        return web.Response(status=status, body=payload, content_type="application/json")

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for _, raw in self.requests]

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        async def wait() -> None:
            while len(self.requests) < count:
                self.event.clear()
                await self.event.wait()

        await asyncio.wait_for(wait(), timeout)


def answering(code: str = "00", name: str = "SUCCESS", message: str = "Thanks, you are registered"):
    def answer(body: dict[str, Any]) -> tuple[int, bytes]:
        reply = {"TRAIN_ID": body.get("TRAN_ID"), "RESULT_CODE": code, "RESULT_NAME": name, "MESSAGE": message}
        if body.get("ERROR_MESSAGE"):  # the failed-transaction callback: just receive it
            reply = {}
        return 200, json.dumps(reply).encode()

    return answer


@pytest.fixture
async def customer(aiohttp_server) -> Customer:
    found = Customer(answer=answering())
    app = web.Application()
    app.router.add_post("/2way", found.handle)
    server = await aiohttp_server(app)
    found.url = str(server.make_url("/2way"))
    return found


async def inbound(client, **body: Any) -> tuple[int, dict[str, Any]]:
    payload = {"vendor": "ants", "from": SUBSCRIBER, "keyword": "ANTS", "text": "ANTS REGISTER 1234", **body}
    resp = await client.post("/_mock/inbound", json=payload)
    return resp.status, await resp.json()


async def test_round_trip_success(client, customer):
    status, data = await inbound(client, url=customer.url)
    assert status == 200
    assert data["id"] == "in-1" and data["status"] == "answered"
    # What the customer received: the page's request, as JSON, with the account's callback credentials.
    headers, raw = customer.requests[0]
    sent = json.loads(raw)
    assert list(sent) == ["TRAN_ID", "MOBILE_NO", "MESSAGE", "KEYWORD"]
    assert sent["MOBILE_NO"] == SUBSCRIBER and sent["KEYWORD"] == "ANTS" and sent["MESSAGE"] == "ANTS REGISTER 1234"
    assert twoway.contract().valid("request", sent)
    assert headers["Authorization"] == SEED_CALLBACK_AUTH
    assert headers["Content-Type"].startswith("application/json")
    assert data["transaction_id"] == sent["TRAN_ID"]
    # Its parsed answer, and the reply SMS journaled as the message the subscriber receives.
    assert data["answer"] == {
        "success": True,
        "code": "00",
        "name": "SUCCESS",
        "reply": "Thanks, you are registered",
        "body": {"TRAIN_ID": sent["TRAN_ID"], "RESULT_CODE": "00", "RESULT_NAME": "SUCCESS",
                 "MESSAGE": "Thanks, you are registered"},
    }  # fmt: skip
    assert data["violation"] is None
    reply = await (await client.get(f"/_mock/messages/{data['reply_message_id']}")).json()
    assert reply["recipient"] == SUBSCRIBER and reply["text"] == "Thanks, you are registered"
    assert reply["vendor"] == "ants" and reply["operation"] == "two_way_reply"
    assert reply["fields"]["inbound_id"] == "in-1" and reply["sender"] == "ANTS"
    one = await (await client.get("/_mock/inbound/in-1")).json()
    assert one["reply"]["id"] == reply["id"]
    # The POST went through the callback dispatcher's journal.
    cb = await (await client.get(f"/_mock/callbacks/{data['callbacks'][0]}")).json()
    assert cb["state"] == "delivered" and cb["url"] == customer.url


async def test_configured_two_way_url_and_default_keyword(aiohttp_client, make_app, customer):
    app = make_app({"vendors": {"ants": {"accounts": [
        {"username": "shop", "password": "pw", "senders": ["SHOP"], "two_way_url": customer.url,
         "callback_auth": {"username": "hook", "password": "s3cret"}},
    ]}}})  # fmt: skip
    client = await aiohttp_client(app)
    resp = await client.post("/_mock/inbound", json={"vendor": "ants", "from": "0898765432", "text": "promo yes"})
    data = await resp.json()
    assert resp.status == 200, data
    headers, raw = customer.requests[0]
    assert json.loads(raw)["KEYWORD"] == "PROMO" and json.loads(raw)["MOBILE_NO"] == "66898765432"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"hook:s3cret").decode()
    assert data["account"] == "shop" and data["url"] == customer.url


async def test_partner_code_is_answered_not_success(client, customer):
    customer.answer = answering("301", "INVALID_MEMBER", "You are not a member")
    status, data = await inbound(client, url=customer.url)
    assert status == 200 and data["status"] == "answered"
    assert data["answer"]["success"] is False and data["answer"]["code"] == "301"
    assert data["answer"]["name"] == "INVALID_MEMBER"
    reply = await (await client.get(f"/_mock/messages/{data['reply_message_id']}")).json()
    assert reply["text"] == "You are not a member"


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"<html>oops</html>", "(body): expected a JSON object"),
        (b'{"TRAN_ID": "x", "RESULT_CODE": "00", "RESULT_NAME": "OK", "MESSAGE": "hi"}', "TRAIN_ID"),
        (
            b'{"TRAIN_ID": "wrong", "RESULT_CODE": "00", "RESULT_NAME": "OK", "MESSAGE": "hi"}',
            "TRAIN_ID: expected the TRAN_ID",
        ),
        (b'{"TRAIN_ID": "@", "RESULT_CODE": 0, "RESULT_NAME": "OK", "MESSAGE": "hi"}', "RESULT_CODE"),
        (b'{"TRAIN_ID": "@", "RESULT_CODE": "299", "RESULT_NAME": "OK", "MESSAGE": "hi"}', "RESULT_CODE"),
        (b"[]", "(body)"),
    ],
    ids=["html", "TRAN_ID-spelling", "other-id", "number-code", "code-out-of-range", "array"],
)
async def test_malformed_answer_is_a_violation(client, customer, payload, problem):
    def answer(body):
        return 200, payload.replace(b'"@"', json.dumps(body["TRAN_ID"]).encode())

    customer.answer = answer
    status, data = await inbound(client, url=customer.url)
    assert status == 200
    assert data["status"] == "invalid", data
    assert any(problem in p for p in data["violation"]), data["violation"]
    assert data["reply_message_id"] is None
    messages = await (await client.get("/_mock/messages?vendor=ants")).json()
    assert messages["count"] == 0  # no reply SMS for a broken answer
    listed = await (await client.get("/_mock/inbound?status=invalid")).json()
    assert [r["id"] for r in listed["inbound"]] == [data["id"]]


async def test_error_statuses_are_retried_and_journaled(client, customer):
    answers = iter([(500, b"busy"), (503, b"busy")])

    def answer(body):
        return next(answers, None) or answering()(body)

    customer.answer = answer
    status, data = await inbound(client, url=customer.url)
    assert status == 200 and data["status"] == "pending" and data["last_error"] == "HTTP 500"
    await customer.wait_for(3)
    await services_of(client).callbacks.drain()
    final = await (await client.get(f"/_mock/inbound/{data['id']}")).json()
    assert final["status"] == "answered" and final["attempts"] == 3
    cb = await (await client.get(f"/_mock/callbacks/{data['callbacks'][0]}")).json()
    assert [a["status"] for a in cb["attempts"]] == [500, 503, 200]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_nobody_answers_connection_refused(client):
    url = f"http://127.0.0.1:{_closed_port()}/2way"
    status, data = await inbound(client, url=url)
    assert status == 200 and data["status"] == "pending" and data["answer"] is None
    assert "Connect" in data["last_error"] or "refused" in data["last_error"].lower()
    await services_of(client).callbacks.drain()
    final = await (await client.get(f"/_mock/inbound/{data['id']}")).json()
    assert final["status"] == "unanswered" and final["attempts"] == 4  # the fast max_attempts
    cb = await (await client.get(f"/_mock/callbacks/{data['callbacks'][0]}")).json()
    assert cb["state"] == "gave_up" and len(cb["attempts"]) == 4


async def test_nobody_answers_in_time(aiohttp_client, make_app, aiohttp_server):
    async def silent(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response()

    app = web.Application()
    app.router.add_post("/2way", silent)
    server = await aiohttp_server(app)
    client = await aiohttp_client(make_app({"callbacks": {"timeout": 0.3, "max_attempts": 2}}))
    status, data = await inbound(client, url=str(server.make_url("/2way")), wait=0.1)
    assert status == 202 and data["status"] == "pending" and data["attempts"] == 0
    await services_of(client).callbacks.drain()
    final = await (await client.get(f"/_mock/inbound/{data['id']}")).json()
    assert (
        final["status"] == "unanswered"
        and final["last_error"] == "timeout: the receiver may have processed it"
        and final["attempts"] == 2
    )


async def test_charging_failed_callback(client, customer):
    status, data = await inbound(client, url=customer.url, charging="CHARGING_FAILED")
    assert status == 200 and data["status"] == "answered"
    await customer.wait_for(2)
    failed = customer.bodies()[1]
    assert failed == {"ERROR_MESSAGE": "CHARGING_FAILED", "TRANSACTION_ID": data["transaction_id"]}
    assert twoway.contract().valid("callback", failed)
    assert customer.requests[1][0]["Authorization"] == SEED_CALLBACK_AUTH
    reply = await (await client.get(f"/_mock/messages/{data['reply_message_id']}")).json()
    assert reply["status"] == "failed" and reply["final"]["code"] == "CHARGING_FAILED"
    record = await (await client.get(f"/_mock/inbound/{data['id']}")).json()
    assert len(record["callbacks"]) == 2 and record["fields"]["error_message"] == "CHARGING_FAILED"


async def test_charging_failed_by_scenario_rule(client, customer):
    rule = {
        "match": {"vendor": "ants", "recipient": SUBSCRIBER},
        "delivery": {"status": "failed", "code": "CHARGING_FAILED"},
    }
    resp = await client.post("/_mock/scenario/rules", json=rule)
    assert resp.status in (200, 201), await resp.text()
    status, data = await inbound(client, url=customer.url)
    assert status == 200
    await customer.wait_for(2)
    assert customer.bodies()[1] == {"ERROR_MESSAGE": "CHARGING_FAILED", "TRANSACTION_ID": data["transaction_id"]}


async def test_a_delivered_reply_sends_no_callback(client, customer):
    status, data = await inbound(client, url=customer.url)
    assert status == 200
    await asyncio.sleep(0.2)  # the fast lifecycle: delivered after 0.05 s
    reply = await (await client.get(f"/_mock/messages/{data['reply_message_id']}")).json()
    assert reply["status"] == "delivered" and reply["callbacks"] == []
    assert len(customer.requests) == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"from": "12345", "url": "http://127.0.0.1:9/x"}, "Thai mobile"),
        ({"url": "http://127.0.0.1:9/x", "account": "nobody"}, "no account 'nobody'"),
        ({}, "no two_way_url"),
        ({"url": "ftp://example.com/x"}, "not an allowed callback URL"),
        ({"url": "http://127.0.0.1:9/x", "price": 3}, "unknown field(s) price"),
        ({"url": "http://127.0.0.1:9/x", "charging": 7}, "charging must be"),
        ({"text": ""}, "text"),
        ({"wait": -1}, "wait"),
    ],
)
async def test_refused_inbound_requests(client, body, words):
    status, data = await inbound(client, **body)
    assert status == 400
    assert words in data["error"]
    assert (await (await client.get("/_mock/inbound")).json())["total"] == 0
