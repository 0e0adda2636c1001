"""postSMS, checkVoice and checkBalance over real HTTP: formats, journal, balance, bad input."""

from __future__ import annotations

import re
import uuid

import pytest

from mockserver.app import SERVICES

from .helpers import BASE, CREDENTIALS, MISSING, post, send_body, voice_config

ACCEPTED = re.compile(r"^1,,,([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$")


async def test_an_accepted_call_is_journaled_and_its_code_is_readable(client) -> None:
    status, content_type, text = await post(client, "postSMS", send_body(phonesend="0361234567", message="042917"))
    assert (status, content_type) == (200, "text/plain; charset=utf-8")
    m = ACCEPTED.match(text)
    assert m, text
    request_id = m[1]
    assert uuid.UUID(request_id).version == 4

    found = await (await client.get(f"/_mock/messages/{request_id}")).json()
    assert found["vendor"] == "voiceotp"
    assert found["operation"] == "otp_send"
    assert (found["account"], found["recipient"], found["sender"], found["text"]) == (
        "demo",
        "0361234567",
        "DAUSO1",
        "042917",
    )
    assert found["request"]["path"] == f"{BASE}/postSMS"

    otp = await (await client.get("/_mock/otp", params={"vendor": "voiceotp", "phone": "0361234567"})).json()
    assert otp["code"] == "042917"
    assert otp["message_id"] == request_id
    # International forms of the number find it too.
    otp = await (await client.get("/_mock/otp", params={"vendor": "voiceotp", "phone": "+84361234567"})).json()
    assert otp["code"] == "042917"


@pytest.mark.parametrize("phone", ["0361234567", "84361234567", "+84361234567"])
async def test_national_and_international_numbers_are_one_number(client, phone) -> None:
    _, _, text = await post(client, "postSMS", send_body(phonesend=phone))
    assert ACCEPTED.match(text), text
    messages = await (await client.get("/_mock/messages", params={"vendor": "voiceotp"})).json()
    assert messages["messages"][0]["recipient"] == "0361234567"


@pytest.mark.parametrize("sender", ["DAUSO1", "DAUS01"])
async def test_both_spellings_of_the_seed_sender_are_declared(client, sender) -> None:
    _, _, text = await post(client, "postSMS", send_body(sender=sender))
    assert ACCEPTED.match(text), text


@pytest.mark.parametrize("sender", ["dauso1", "DAUSO2", "", 1])
async def test_an_undeclared_sender_is_5(client, sender) -> None:
    assert (await post(client, "postSMS", send_body(sender=sender)))[2] == "5"


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("1", None),
        ("000000", None),
        ("1234567", "11"),
        ("", "11"),
        ("12 345", "11"),
        ("abc", "11"),
        (123456, "11"),
        ("mã123", "20"),
        ("٣٤٥", "20"),
    ],
)
async def test_the_message_is_one_to_six_ascii_digits(client, message, code) -> None:
    text = (await post(client, "postSMS", send_body(message=message)))[2]
    if code is None:
        assert ACCEPTED.match(text), text
    else:
        assert text == code


async def test_a_unicode_account_gets_11_for_non_digits(aiohttp_client, make_app) -> None:
    client = await aiohttp_client(make_app(voice_config({"unicode": True})))
    assert (await post(client, "postSMS", send_body(message="mã123")))[2] == "11"


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("0912345678", None),
        ("0861234567", None),
        ("0521234567", None),
        ("84981234567", None),
        ("091234567", "10"),
        ("09123456789", "10"),
        ("0212345678", "10"),
        ("0612345678", "10"),
        ("123", "10"),
        ("01681234567", "31"),
        ("841681234567", "31"),
        ("0912 345 678", "-4"),
        ("+", "-4"),
        ("", "-4"),
        (912345678, "-4"),
        (None, "-4"),
        (MISSING, "-4"),
    ],
)
async def test_phone_numbers(client, phone, code) -> None:
    text = (await post(client, "postSMS", send_body(phonesend=phone)))[2]
    if code is None:
        assert ACCEPTED.match(text), text
    else:
        assert text == code


async def test_the_same_code_to_the_same_number_within_five_minutes_is_6(client) -> None:
    clock = client.server.app[SERVICES].clock
    assert ACCEPTED.match((await post(client, "postSMS", send_body()))[2])
    assert (await post(client, "postSMS", send_body()))[2] == "6"
    # Another code, or another number, is not a repeat.
    assert ACCEPTED.match((await post(client, "postSMS", send_body(message="654321")))[2])
    assert ACCEPTED.match((await post(client, "postSMS", send_body(phonesend="0912345678")))[2])
    clock.advance(299)
    assert (await post(client, "postSMS", send_body()))[2] == "6"
    clock.advance(1)
    assert ACCEPTED.match((await post(client, "postSMS", send_body()))[2])


async def test_each_accepted_call_costs_one_unit_until_the_balance_is_empty(client) -> None:
    balances = []
    for i in range(10):
        assert ACCEPTED.match((await post(client, "postSMS", send_body(message=f"{i:06d}")))[2])
        status, content_type, text = await post(client, "checkBalance", CREDENTIALS)
        assert (status, content_type) == (200, "application/json; charset=utf-8")
        balances.append(text)
    assert balances == [f'{{"errorcode":"1","balance":{n}}}' for n in range(9, -1, -1)]
    # Refused calls cost nothing; an empty account answers -8.
    assert (await post(client, "postSMS", send_body(message="999999")))[2] == "-8"
    assert (await post(client, "checkBalance", CREDENTIALS))[2] == '{"errorcode":"1","balance":0}'
    # /_mock/reset gives the configured balance back.
    await client.post("/_mock/reset")
    assert (await post(client, "checkBalance", CREDENTIALS))[2] == '{"errorcode":"1","balance":10}'


async def test_refused_calls_cost_nothing(client) -> None:
    for body in (send_body(message="x"), send_body(sender="NOPE"), send_body(phonesend="0212345678")):
        await post(client, "postSMS", body)
    assert (await post(client, "checkBalance", CREDENTIALS))[2] == '{"errorcode":"1","balance":10}'
    messages = await (await client.get("/_mock/messages", params={"vendor": "voiceotp"})).json()
    assert messages["count"] == 0


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("username", MISSING, "-1"),
        ("pass", MISSING, "-1"),
        ("key", MISSING, "-1"),
        ("username", "nobody", "-1"),
        ("key", "wrong", "-1"),
        ("pass", 12345, "-1"),
        ("username", None, "-1"),
        ("phonesend", MISSING, "-4"),
        ("sender", MISSING, "5"),
        ("message", MISSING, "11"),
        ("message", None, "11"),
    ],
)
async def test_missing_and_wrong_fields_answer_a_code(client, field, value, code) -> None:
    assert await post(client, "postSMS", send_body(**{field: value})) == (200, "text/plain; charset=utf-8", code)


@pytest.mark.parametrize(
    ("operation", "expected"),
    [("postSMS", "11"), ("checkVoice", "11"), ("checkBalance", '{"errorcode":"0","balance":0}')],
)
@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b'{"username":', b"[]", b'"demo"', b"null", b"\xff\xfe{}", b'{"username":"\\ud800"}'],
    ids=["empty", "text", "truncated", "array", "string", "null", "bad-utf8", "lone-surrogate"],
)
async def test_bad_bodies_answer_a_code_never_a_traceback(client, operation, expected, raw) -> None:
    response = await client.post(f"{BASE}/{operation}", data=raw, headers={"Content-Type": "application/json"})
    assert response.status == 200
    assert await response.text() == expected


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]
)
async def test_a_body_that_is_not_json_by_content_type_is_11(client, content_type) -> None:
    import json

    response = await client.post(
        f"{BASE}/postSMS", data=json.dumps(send_body()), headers={"Content-Type": content_type}
    )
    assert (response.status, await response.text()) == (200, "11")


async def test_a_json_body_without_content_type_is_accepted(client) -> None:
    import json

    response = await client.post(
        f"{BASE}/postSMS", data=json.dumps(send_body()).encode(), skip_auto_headers=["Content-Type"]
    )
    assert ACCEPTED.match(await response.text())


async def test_huge_bodies_on_check_balance_answer_errorcode_0(client) -> None:
    response = await client.post(
        f"{BASE}/checkBalance",
        data=b'{"x":"' + b"9" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert (response.status, await response.text()) == (200, '{"errorcode":"0","balance":0}')


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("operation", ["postSMS", "checkVoice", "checkBalance"])
async def test_wrong_methods_are_405_with_a_code(client, method, operation) -> None:
    response = await client.request(method, f"{BASE}/{operation}")
    assert (response.status, response.headers["Content-Type"], await response.text()) == (
        405,
        "text/plain; charset=utf-8",
        "11",
    )


@pytest.mark.parametrize(
    "path", ["/voiceotp/onsmsapivoice/", "/voiceotp/onsmsapivoice/sendSMS", "/voiceotp/postSMS", "/voiceotp/"]
)
async def test_unknown_paths_are_404_with_a_code(client, path) -> None:
    response = await client.post(path, json=send_body())
    assert (response.status, await response.text()) == (404, "11")


async def test_the_real_host_serves_the_real_paths(client) -> None:
    headers = {"Host": "210.211.108.20:8080"}
    response = await client.post("/onsmsapivoice/postSMS", json=send_body(), headers=headers)
    assert ACCEPTED.match(await response.text())
    response = await client.post("/onsmsapivoice/checkBalance", json=CREDENTIALS, headers=headers)
    assert await response.text() == '{"errorcode":"1","balance":9}'


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [(["127.0.0.1"], "ok"), (["127.0.0.0/8", "::1"], "ok"), (["203.0.113.7"], "-2"), (["2001:db8::/32"], "-2")],
)
async def test_the_ip_allow_list(aiohttp_client, make_app, allowed, expected) -> None:
    client = await aiohttp_client(make_app(voice_config({"allowed_ips": allowed})))
    text = (await post(client, "postSMS", send_body()))[2]
    assert (ACCEPTED.match(text) is not None) if expected == "ok" else text == expected
    balance = (await post(client, "checkBalance", CREDENTIALS))[2]
    assert balance.startswith('{"errorcode":"1"') if expected == "ok" else balance == '{"errorcode":"0","balance":0}'


@pytest.mark.parametrize(
    ("flags", "code"), [({"activated": False}, "22"), ({"expired": True}, "15"), ({"service_expired": True}, "16")]
)
async def test_account_states_refuse_calls_but_not_balance_checks(aiohttp_client, make_app, flags, code) -> None:
    client = await aiohttp_client(make_app(voice_config(flags)))
    assert (await post(client, "postSMS", send_body()))[2] == code
    assert (await post(client, "checkBalance", CREDENTIALS))[2] == '{"errorcode":"1","balance":10}'


async def test_balance_with_bad_credentials_is_errorcode_0(client) -> None:
    for body in ({**CREDENTIALS, "key": "x"}, {"username": "demo"}, {}):
        assert await post(client, "checkBalance", body) == (
            200,
            "application/json; charset=utf-8",
            '{"errorcode":"0","balance":0}',
        )


async def test_check_voice_of_an_unknown_or_foreign_request_id_is_11(aiohttp_client, make_app) -> None:
    other = {"username": "other", "pass": "p2", "key": "k2"}
    client = await aiohttp_client(make_app(voice_config({}, other)))
    _, _, text = await post(client, "postSMS", send_body())
    request_id = text.split(",,,")[1]
    assert (await post(client, "checkVoice", {**CREDENTIALS, "request_id": request_id}))[2] in ("27", "1")
    assert (await post(client, "checkVoice", {**other, "request_id": request_id}))[2] == "11"
    for unknown in (str(uuid.uuid4()), "", 42, None):
        assert (await post(client, "checkVoice", {**CREDENTIALS, "request_id": unknown}))[2] == "11"
    assert (await post(client, "checkVoice", CREDENTIALS))[2] == "11"
    assert (await post(client, "checkVoice", {"request_id": request_id}))[2] == "-1"


async def test_the_same_seed_gives_the_same_request_ids(aiohttp_client, make_app) -> None:
    ids = []
    for _ in range(2):
        client = await aiohttp_client(make_app(seed=99))
        ids.append([(await post(client, "postSMS", send_body(message=str(i))))[2] for i in range(3)])
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == 3


async def test_the_vendor_sample_request_is_accepted(client) -> None:
    vendor = client.server.app[SERVICES].vendors["voiceotp"]
    for n in (0, 500, 999):  # 1..899 hold the default scenario's magic numbers
        recipient = vendor.sample_recipient(n)
        for _ in range(2):  # repeated samples to one number are not refused as repeats
            sample = vendor.sample_send(recipient, "Hello from sms-mockserver")
            response = await client.request(sample.method, sample.path, data=sample.body, headers=dict(sample.headers))
            assert ACCEPTED.match(await response.text())
        messages = await (await client.get("/_mock/messages", params={"phone": recipient})).json()
        assert messages["messages"][0]["recipient"] == recipient  # journaled as given: the national form
    assert len({vendor.sample_recipient(n) for n in range(1000)}) == 1000


async def test_a_scenario_error_on_check_balance_is_errorcode_0(aiohttp_client, make_app, scenario_file) -> None:
    path = scenario_file([{"match": {"vendor": "voiceotp", "operation": "check_balance"}, "respond": {"error": -5}}])
    client = await aiohttp_client(make_app(scenarios=[path]))
    assert (await post(client, "checkBalance", CREDENTIALS))[2] == '{"errorcode":"0","balance":0}'
    assert ACCEPTED.match((await post(client, "postSMS", send_body()))[2])


@pytest.mark.parametrize(
    ("account", "problem"),
    [
        ({"allowed_ips": ["999.1.1.1"]}, "allowed_ips"),
        ({"allowed_ips": ["not an ip"]}, "allowed_ips"),
        ({"balance": -1}, "balance"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_account_configs_are_refused_with_the_field(make_app, account, problem) -> None:
    from mockserver.core.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        make_app(voice_config(account))
    assert problem in str(caught.value)
