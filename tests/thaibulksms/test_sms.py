"""``POST /sms`` and ``GET /credit``: bodies, numbers, credits, scheduling, short links, tags."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ..conftest import services_of
from .conftest import API_KEY, AUTH, SMS, basic, error_of, send

SUCCESS_KEYS = ["remaining_credit", "total_use_credit", "credit_type", "phone_number_list", "bad_phone_number_list"]


def model_of(client):
    return services_of(client).vendors["thaibulksms"].model


async def credit(client) -> dict[str, int]:
    resp = await client.get(f"{SMS}/credit", headers=AUTH)
    assert resp.status == 200
    return (await resp.json())["remaining_credit"]


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
async def test_send_answers_the_documented_fields(client, as_json: bool) -> None:
    resp = await send(client, {"msisdn": "0812345678", "message": "สวัสดี", "sender": "SMS."}, json=as_json)
    assert resp.status == 200
    data = await resp.json()
    assert list(data) == SUCCESS_KEYS
    assert data["credit_type"] == "standard"
    assert data["remaining_credit"] == 6093 - 1 and data["total_use_credit"] == 1
    [sent] = data["phone_number_list"]
    assert list(sent) == ["number", "message_id", "used_credit"]
    assert sent["number"] == "66812345678" and sent["used_credit"] == 1
    assert len(sent["message_id"]) == 22 and sent["message_id"].isalnum()
    assert data["bad_phone_number_list"] == []
    journaled = services_of(client).store.get_message(sent["message_id"])
    assert (journaled.text, journaled.sender, journaled.recipient, journaled.encoding) == (
        "สวัสดี",
        "SMS.",
        "66812345678",
        "UCS-2",
    )
    assert await credit(client) == {"standard": 6092, "corporate": 4498}


async def test_multipart_and_no_content_type_bodies(client) -> None:
    import aiohttp

    form = aiohttp.FormData({"msisdn": "0812345678", "message": "multipart", "sender": "Demo"})
    form.add_field("tag", "mp")
    form._is_multipart = True  # curl --form
    resp = await client.post(f"{SMS}/sms", data=form, headers=AUTH)
    assert resp.status == 200, await resp.text()
    raw = b"msisdn=0812345678&message=bare&sender=Demo"
    resp = await client.post(f"{SMS}/sms", data=raw, headers=AUTH, skip_auto_headers=["Content-Type"])
    assert resp.status == 200, await resp.text()
    texts = {m.text for m in services_of(client).store.find_messages(vendor="thaibulksms")}
    assert texts == {"multipart", "bare"}


async def test_every_number_format_and_mixed_invalid_numbers(client) -> None:
    numbers = "0812345678, 66898765432 ,+66612345678,12345,0212345678,,66812345678"
    data = await (await send(client, {"msisdn": numbers})).json()
    assert [p["number"] for p in data["phone_number_list"]] == ["66812345678", "66898765432", "66612345678"]
    assert data["bad_phone_number_list"] == [
        {"message": "MSISDN is invalid.", "number": "12345"},
        {"message": "MSISDN is invalid.", "number": "0212345678"},
    ]
    assert data["total_use_credit"] == 3  # the repeated 66812345678 is sent once; bad ones cost nothing
    assert len(services_of(client).store.find_messages(vendor="thaibulksms")) == 3


async def test_five_hundred_numbers_in_one_request(client) -> None:
    numbers = [f"08{i:08d}" for i in range(500)]
    resp = await send(client, {"msisdn": ",".join(numbers), "message": "bulk"})
    assert resp.status == 200
    data = await resp.json()
    assert len(data["phone_number_list"]) == 500
    assert len({p["message_id"] for p in data["phone_number_list"]}) == 500
    assert data["total_use_credit"] == 500 and data["remaining_credit"] == 6093 - 500
    assert len(services_of(client).store.find_messages(vendor="thaibulksms")) == 500
    resp = await send(client, {"msisdn": ",".join([*numbers, "0899999999"])})
    assert (await error_of(resp))["name"] == "ERROR_MSISDN_EXCEEDED_LIMIT"
    assert (await credit(client))["standard"] == 6093 - 500


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("{" * 80, 1),  # extension characters cost two septets
        ("{" * 81, 2),
        ("ก" * 70, 1),
        ("ก" * 71, 2),
        ("ก" * 134, 2),
        ("ก" * 135, 3),
        ("a" * 159 + "ก", 3),  # one Thai character makes all 160 UCS-2
    ],
)
async def test_credit_per_recipient_per_part(client, text: str, parts: int) -> None:
    data = await (await send(client, {"msisdn": "0812345678,0898765432", "message": text, "force": "corporate"})).json()
    assert data["credit_type"] == "corporate"
    assert [p["used_credit"] for p in data["phone_number_list"]] == [parts, parts]
    assert data["total_use_credit"] == 2 * parts
    assert data["remaining_credit"] == 4498 - 2 * parts
    assert await credit(client) == {"standard": 6093, "corporate": 4498 - 2 * parts}


async def test_insufficient_credit_charges_nothing(tbs_client) -> None:
    client = await tbs_client(credit={"standard": 3, "corporate": 100})
    resp = await send(client, {"msisdn": "0812345678,0898765432", "message": "a" * 161})  # needs 4
    assert resp.status == 400 and (await error_of(resp))["name"] == "ERROR_INSUFFICIENT_CREDIT"
    assert await credit(client) == {"standard": 3, "corporate": 100}
    assert services_of(client).store.find_messages(vendor="thaibulksms") == []
    ok = await send(client, {"msisdn": "0812345678,0898765432", "message": "a" * 161, "force": "CORPORATE"})
    assert (await ok.json())["remaining_credit"] == 96


async def test_credit_endpoint(client) -> None:
    assert await credit(client) == {"standard": 6093, "corporate": 4498}
    resp = await client.get(f"{SMS}/credit", params={"force": "corporate"}, headers=AUTH)
    assert await resp.json() == {"remaining_credit": {"corporate": 4498}}
    resp = await client.get(f"{SMS}/credit", params={"force": "gold"}, headers=AUTH)
    assert (await error_of(resp))["name"] == "ERROR_FORCE"
    for headers in ({}, {"Authorization": "Basic !!!"}, {"Authorization": "Bearer x"}, basic("nobody", "x")):
        resp = await client.get(f"{SMS}/credit", headers=headers)
        assert resp.status == 401 and (await error_of(resp))["name"] == "ERROR_AUTHENTICATION_FAILED"
    resp = await client.post(f"{SMS}/credit", headers=AUTH)
    assert resp.status == 405 and (await error_of(resp))["name"] == "ERROR_METHOD_NOT_ALLOWED"


async def test_ip_allow_list_admits_listed_addresses(tbs_client) -> None:
    client = await tbs_client(allowed_ips=["127.0.0.1", "10.0.0.7"])
    assert (await send(client)).status == 200
    resp = await send(client, headers={"X-Forwarded-For": "10.0.0.8, 127.0.0.1"})
    assert (await error_of(resp))["name"] == "ERROR_IP_NOT_ALLOWED"
    assert (await send(client, headers={"X-Forwarded-For": "10.0.0.7"})).status == 200


async def test_trial_account_sends_to_registered_numbers(tbs_client) -> None:
    client = await tbs_client(trial=True, registered_numbers=["0812345678"])
    data = await (await send(client, {"msisdn": "+66812345678"})).json()
    assert data["phone_number_list"][0]["number"] == "66812345678"


async def test_shorten_url_serves_a_redirect_and_saves_credit(client) -> None:
    long_url = "https://example.com/landing?" + "&".join(f"p{i}=value{i}" for i in range(20))
    text = f"Sale today {long_url} thanks"
    assert len(text) > 160
    plain = await (await send(client, {"message": text})).json()
    assert plain["total_use_credit"] == 2
    data = await (await send(client, {"message": text, "shorten_url": "true"})).json()
    assert data["total_use_credit"] == 1
    message = services_of(client).store.get_message(data["phone_number_list"][0]["message_id"])
    assert long_url not in message.text
    [(code, original)] = message.fields["short_links"].items()
    assert original == long_url
    short = f"http://{client.server.host}:{client.server.port}{SMS}/s/{code}"
    assert message.text == f"Sale today {short} thanks"
    resp = await client.get(f"{SMS}/s/{code}", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == long_url
    # The same link works on the real host.
    resp = await client.get(f"/s/{code}", headers={"Host": "api-v2.thaibulksms.com"}, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == long_url
    resp = await client.get(f"{SMS}/s/unknown", allow_redirects=False)
    assert resp.status == 404 and (await error_of(resp))["name"] == "ERROR_NOT_FOUND"
    resp = await send(client, {"shorten_url": "maybe"})
    assert (await error_of(resp))["name"] == "ERROR_FORM"
    data = await (await send(client, {"message": text, "shorten_url": False}, json=True)).json()
    assert data["total_use_credit"] == 2


async def test_scheduled_delivery_waits_for_its_time(client) -> None:
    services = services_of(client)
    when = services.clock.datetime() + timedelta(hours=2)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S+07:00")
    data = await (await send(client, {"scheduled_delivery": stamp})).json()
    message = services.store.get_message(data["phone_number_list"][0]["message_id"])
    assert message.status == "scheduled" and message.fields["scheduled_delivery"] == stamp
    assert data["remaining_credit"] == 6092  # charged when accepted
    resp = await client.post("/_mock/clock", json={"advance": "2h"})
    assert resp.status == 200
    resp = await client.post("/_mock/clock", json={"advance": "2s"})
    assert message.status == "delivered"
    states = [s for s, _ in message.timeline]
    assert states == ["accepted", "scheduled", "sent", "delivered"]
    sent_at = dict((s, t) for s, t in message.timeline)["sent"]
    assert sent_at >= when.replace(microsecond=0).timestamp()  # the schedule has whole seconds


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("2030-12-17 17:12", "ERROR_SCHEDULED_DELIVERY"),
        ("2030-12-17T17:12:00", "ERROR_SCHEDULED_DELIVERY"),  # no offset
        ("2030-13-40T17:12:00+07:00", "ERROR_SCHEDULED_DELIVERY"),
        ("2020-12-17T17:12:00+07:00", "ERROR_SCHEDULED_DELIVERY"),  # the past
        ("{soon}Z", "ERROR_SCHEDULED_DELIVERY_TIMEZONE"),
        ("{soon}+08:00", "ERROR_SCHEDULED_DELIVERY_TIMEZONE"),
        ("{far}+07:00", "ERROR_SCHEDULED_DELIVERY_TOO_FAR"),
    ],
)
async def test_scheduled_delivery_errors(client, value: str, error: str) -> None:
    now = services_of(client).clock.datetime()
    value = value.format(
        soon=(now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        far=(now + timedelta(days=366)).strftime("%Y-%m-%dT%H:%M:%S"),
    )
    resp = await send(client, {"scheduled_delivery": value})
    assert (await error_of(resp))["name"] == error
    assert await credit(client) == {"standard": 6093, "corporate": 4498}


async def test_tags_are_recorded(client) -> None:
    data = await (await send(client, {"tag": "promo, เดือนนี้", "tags": ["q3"]}, json=True)).json()
    message = services_of(client).store.get_message(data["phone_number_list"][0]["message_id"])
    assert message.fields["tags"] == ["promo", "เดือนนี้", "q3"]
    resp = await send(client, {"tags": ",".join(f"t{i}" for i in range(11))})
    assert (await error_of(resp))["name"] == "ERROR_TAGS_EXCEEDED_LENGTH"
    resp = await send(client, {"tags": 5}, json=True)
    assert (await error_of(resp))["name"] == "ERROR_TAGS"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, "bad json"),
        ({"data": b"[1, 2]", "headers": {"Content-Type": "application/json"}}, "json array"),
        (
            {
                "data": b'{"msisdn": 66812345678, "message": "x", "sender": "Demo"}',
                "headers": {"Content-Type": "application/json"},
            },
            "wrong type",
        ),
        (
            {
                "data": b'{"msisdn": "0812345678", "message": "\\ud800", "sender": "Demo"}',
                "headers": {"Content-Type": "application/json"},
            },
            "lone surrogate",
        ),
        (
            {
                "data": b"msisdn=0812345678&message=%FF%FE&sender=Demo",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            "bad percent-encoding",
        ),
        (
            {
                "data": b"msisdn=0812345678&message=\xff&sender=Demo",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            "bad utf-8",
        ),
        ({"data": b"msisdn=0812345678", "headers": {"Content-Type": "text/plain"}}, "wrong content type"),
        (
            {"data": b"--x\r\nnot multipart", "headers": {"Content-Type": "multipart/form-data; boundary=zzz"}},
            "bad multipart",
        ),
        (
            {
                "data": b"msisdn=" + b"0" * (1024 * 1024 + 10),
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            "huge body",
        ),
    ],
)
async def test_bad_bodies_answer_error_form(client, kwargs, name: str) -> None:
    headers = {**AUTH, **kwargs.pop("headers")}
    resp = await client.post(f"{SMS}/sms", headers=headers, **kwargs)
    assert resp.status == 400, name
    assert await error_of(resp) == {"code": 108, "name": "ERROR_FORM", "description": "Form is invalid."}


async def test_auth_is_checked_before_the_body(client) -> None:
    resp = await client.post(f"{SMS}/sms", data=b"{bad", headers={"Content-Type": "application/json"})
    assert resp.status == 401


async def test_unknown_paths_and_methods(client) -> None:
    for method, path in (("GET", f"{SMS}/"), ("POST", f"{SMS}/sms/extra"), ("GET", f"{SMS}/v1/credit")):
        resp = await client.request(method, path, headers=AUTH)
        assert resp.status == 404 and (await error_of(resp))["name"] == "ERROR_NOT_FOUND"
    for method in ("GET", "PUT", "DELETE"):
        resp = await client.request(method, f"{SMS}/sms", headers=AUTH)
        assert resp.status == 405 and (await error_of(resp))["code"] == 304


async def test_real_host_serves_the_real_paths(client) -> None:
    resp = await send(client, headers={"Host": "api-v2.thaibulksms.com"})  # prefix path is unknown there
    assert resp.status == 404
    resp = await client.post(
        "/sms",
        data={"msisdn": "0812345678", "message": "hi", "sender": "MySMS"},
        headers={**AUTH, "Host": "api-v2.thaibulksms.com"},
    )
    assert resp.status == 200
    resp = await client.get("/credit", headers={**AUTH, "Host": "api-v2.thaibulksms.com"})
    assert (await resp.json())["remaining_credit"]["standard"] == 6092


async def test_sample_send_is_a_valid_request(client) -> None:
    vendor = services_of(client).vendors["thaibulksms"]
    recipient = vendor.sample_recipient(500)  # 1..899 are magic numbers in the default scenario
    sample = vendor.sample_send(recipient, "sample text")
    resp = await client.request(sample.method, sample.path, data=sample.body, headers=dict(sample.headers))
    assert resp.status == 200
    data = await resp.json()
    assert data["phone_number_list"][0]["number"] == recipient == "66899900500"
    message = services_of(client).store.get_message(data["phone_number_list"][0]["message_id"])
    assert (message.operation, message.text, message.account) == (sample.operation, "sample text", API_KEY)


async def test_reset_restores_the_balances(client) -> None:
    await send(client)
    assert (await credit(client))["standard"] == 6092
    await client.post("/_mock/reset")
    assert (await credit(client))["standard"] == 6093
