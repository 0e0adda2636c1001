"""``POST /_mock/verify`` on a real server: hits, misses with their near misses, and bad input."""

from __future__ import annotations

import pytest

from .lifecycle_helpers import phone, send


async def verify(client, **body) -> tuple[int, dict]:
    answer = await client.post("/_mock/verify", json=body)
    assert answer.content_type == "application/json"
    return answer.status, await answer.json()


@pytest.fixture
async def sent(client) -> list[str]:
    """Three SmartSMSBulk messages: two OTPs to phone(1), one notice to phone(2)."""
    return [
        await send(client, 1, text="Your code is 4821"),
        await send(client, 1, text="Your code is 1234"),
        await send(client, 2, text="Your parcel has left"),
    ]


async def test_hits_by_every_criterion_and_count(client, sent):
    assert await verify(client, vendor="smartsmsbulk", count=3) == (200, {"ok": True, "count": 3})
    assert await verify(client, recipient=phone(1), text=r"^Your code is \d{4}$", count=2) == (
        200,
        {"ok": True, "count": 2},
    )
    # national form matches the journaled international number, as /_mock/messages?phone= does
    national = "0" + phone(2)[2:]
    assert await verify(client, recipient=national, operation="send_sms") == (200, {"ok": True, "count": 1})
    assert (await verify(client, status="accepted", at_least=0, at_most=3))[0] == 200
    assert await verify(client, vendor="ants", count=0) == (200, {"ok": True, "count": 0})


async def test_a_miss_is_417_with_the_closest_messages_and_what_differs(client, sent):
    status, answer = await verify(client, recipient=phone(2), text="code", count=1)
    assert status == 417
    assert answer["ok"] is False and answer["count"] == 0 and answer["expected"] == {"count": 1}
    near = answer["near_misses"]
    assert len(near) == 3
    # the closest differ in one field: the notice to phone(2) (text), then the two codes (recipient)
    assert near[0]["id"] == sent[2] and near[0]["differs"] == {
        "text": {"expected": "code", "got": "Your parcel has left"}
    }
    assert {n["id"] for n in near[1:]} == set(sent[:2])
    assert all(set(n["differs"]) == {"recipient"} for n in near[1:])
    assert near[1]["differs"]["recipient"] == {"expected": phone(2), "got": phone(1)}


async def test_too_many_and_the_default_expectation(client, sent):
    status, answer = await verify(client, recipient=phone(1), at_most=1)
    assert (status, answer["count"], answer["expected"], answer["near_misses"]) == (417, 2, {"at_most": 1}, [])
    status, answer = await verify(client, vendor="fpt")  # no bound: at least one
    assert (status, answer["expected"]) == (417, {"at_least": 1})
    assert [set(n["differs"]) for n in answer["near_misses"]] == [{"vendor"}] * 3


async def test_at_most_five_near_misses(client):
    for n in range(7):
        await send(client, n)
    status, answer = await verify(client, recipient="66899999999")
    assert status == 417 and len(answer["near_misses"]) == 5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"colour": "red"}, "unknown field(s): colour"),
        ({"text": "("}, "text is not a regular expression"),
        ({"status": "lost"}, "status must be one of"),
        ({"vendor": 5}, "vendor must be a non-empty string"),
        ({"count": -1}, "count must be a whole number"),
        ({"at_least": True}, "at_least must be a whole number"),
        ({"count": 1, "at_most": 2}, "give count, or at_least and/or at_most"),
        ({"at_least": 3, "at_most": 2}, "at_least is more than at_most"),
        ([1, 2], "body must be a JSON object"),
    ],
)
async def test_bad_input_is_400_json(client, body, message):
    answer = await client.post("/_mock/verify", json=body)
    assert answer.status == 400 and message in (await answer.json())["error"]


async def test_body_that_is_not_json(client):
    answer = await client.post("/_mock/verify", data=b"{nope", headers={"Content-Type": "application/json"})
    assert answer.status == 400 and (await answer.json()) == {"error": "body is not valid JSON"}
