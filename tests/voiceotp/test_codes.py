"""Every code of the seed's tables, reached through the HTTP API of a real server.

The tests iterate over the vendor's own table: a row added to ``errors.py`` without a way to reach
it fails here. Rows whose ``trigger`` says ``input`` are reached by a real request (the recipe is
in ``REAL_TRIGGERS``); every error row is also reached by a scenario rule naming its code and by
one naming it.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.app import SERVICES
from mockserver.vendors.voiceotp.errors import CHECK_VOICE_CODES, CODES, ERRORS, GENERIC_ROWS

from .helpers import CREDENTIALS, post, send_body, voice_config

SEED_POST_SMS_CODES = {-1, -2, -5, -6, -4, -8, 1, 5, 6, 7, 9, 10, 11, 14, 15, 16, 20, 22, 23, 27, 31}


def test_the_table_holds_both_seed_tables_and_check_voice() -> None:
    assert [c.code for c in CODES if c.table == "user"] == [-1, -2, -5, -6, -4, -8]  # the seed's order
    assert {c.code for c in CODES} == SEED_POST_SMS_CODES
    assert {c.code for c in CHECK_VOICE_CODES} == {1, 27, 23}
    for row in (*CODES, *CHECK_VOICE_CODES):
        assert row.en.strip() and row.vi.strip(), row
    # Every refusal is an ErrorTable row a scenario can name; the seed's row wins a shared code.
    for row in CODES:
        if row.code != 1:
            assert ERRORS.find(row.code).name in {r.name for r in CODES if r.code == row.code}
            assert ERRORS[row.name].extra["vi"] == row.vi


# code -> (account overrides, body overrides, times the same body is sent). The answer of the last.
REAL_TRIGGERS: dict[int, tuple[dict[str, Any], dict[str, Any], int]] = {
    -1: ({}, {"pass": "wrong"}, 1),
    -2: ({"allowed_ips": ["203.0.113.0/24"]}, {}, 1),
    -4: ({}, {"phonesend": "09x1234567"}, 1),
    -8: ({"balance": 0}, {}, 1),
    1: ({}, {}, 1),
    5: ({}, {"sender": "BRAND"}, 1),
    6: ({}, {}, 2),
    10: ({}, {"phonesend": "0241234567"}, 1),  # a Hanoi landline
    11: ({}, {"message": "12345a"}, 1),
    14: ({"balance": 1, "price": 2}, {}, 1),
    15: ({"expired": True}, {}, 1),
    16: ({"service_expired": True}, {}, 1),
    20: ({}, {"message": "１２３"}, 1),  # full-width digits  # noqa: RUF001 - full-width digits on purpose
    22: ({"activated": False}, {}, 1),
    31: ({}, {"phonesend": "01681234567"}, 1),  # an old 11-digit Viettel number
}


def test_a_real_request_is_known_for_every_input_row() -> None:
    assert set(REAL_TRIGGERS) == {row.code for row in CODES if row.by_input}


@pytest.mark.parametrize("code", sorted(REAL_TRIGGERS))
async def test_every_input_code_by_a_real_request(code, aiohttp_client, make_app) -> None:
    account, overrides, times = REAL_TRIGGERS[code]
    client = await aiohttp_client(make_app(voice_config(account)))
    for _ in range(times):
        status, content_type, text = await post(client, "postSMS", send_body(**overrides))
    assert status == 200
    assert content_type == "text/plain; charset=utf-8"
    if code == 1:
        assert text.startswith("1,,,")
    else:
        assert text == str(code)


async def test_every_error_code_by_a_scenario_rule(aiohttp_client, make_app, scenario_file) -> None:
    """One rule per row and per way of naming it (code, name), each matching its own recipient."""
    recipient = make_app()[SERVICES].vendors["voiceotp"].sample_recipient
    refusals = [row for row in ERRORS if row.documented]
    assert {row.code for row in refusals} == SEED_POST_SMS_CODES - {1}
    rules = []
    for i, row in enumerate(refusals):
        rules.append(
            {
                "name": f"code {row.code}",
                "match": {"vendor": "voiceotp", "recipient": recipient(i)},
                "respond": {"error": row.code},
            }
        )
        rules.append(
            {
                "name": f"name {row.name}",
                "match": {"vendor": "voiceotp", "recipient": recipient(100 + i)},
                "respond": {"error": row.name},
            }
        )
    client = await aiohttp_client(make_app(scenarios=[scenario_file(rules)]))
    for i, row in enumerate(refusals):
        for n in (i, 100 + i):
            status, content_type, text = await post(client, "postSMS", send_body(phonesend=recipient(n)))
            assert (status, content_type, text) == (200, "text/plain; charset=utf-8", str(row.code)), row.name
    # Nothing refused by a rule is journaled or charged.
    _, _, balance = await post(client, "checkBalance", CREDENTIALS)
    assert balance == '{"errorcode":"1","balance":10}'


@pytest.mark.parametrize("row", CHECK_VOICE_CODES, ids=lambda r: f"{r.code}-{r.name}")
async def test_every_check_voice_code(row, aiohttp_client, make_app, scenario_file) -> None:
    outcome = {1: "delivered", 23: "failed", 27: "pending"}[row.code]
    path = scenario_file([{"match": {"vendor": "voiceotp"}, "delivery": {"status": outcome}}])
    client = await aiohttp_client(make_app(scenarios=[path]))
    _, _, accepted = await post(client, "postSMS", send_body())
    request_id = accepted.split(",,,")[1]
    services = client.server.app[SERVICES]
    services.clock.advance(5)  # well past the (fast) final_after
    status, content_type, text = await post(client, "checkVoice", {**CREDENTIALS, "request_id": request_id})
    assert (status, content_type, text) == (200, "text/plain; charset=utf-8", str(row.code))


GENERIC_REQUESTS: dict[str, dict[str, Any]] = {
    "MALFORMED_BODY": {
        "method": "POST",
        "path": "postSMS",
        "data": b'{"username": "demo",',
        "headers": {"Content-Type": "application/json"},
    },
    "WRONG_CONTENT_TYPE": {"method": "POST", "path": "postSMS", "data": {"username": "demo"}},  # form-urlencoded
    "BODY_TOO_LARGE": {
        "method": "POST",
        "path": "postSMS",
        "data": b'{"x":"' + b"9" * (2 * 1024 * 1024) + b'"}',
        "headers": {"Content-Type": "application/json"},
    },
    "UNKNOWN_PATH": {"method": "POST", "path": "postSms", "json": send_body()},  # paths are case-sensitive
    "WRONG_METHOD": {"method": "GET", "path": "postSMS"},
}


@pytest.mark.parametrize("row", GENERIC_ROWS, ids=lambda r: r.name)
async def test_every_generic_failure_answers_a_code(row, aiohttp_client, make_app, monkeypatch) -> None:
    client = await aiohttp_client(make_app())
    if row.name == "INTERNAL_ERROR":
        # The one failure no request can cause: a bug in our own code, injected here.
        vendor = client.server.app[SERVICES].vendors["voiceotp"]

        def broken(*_: Any) -> None:
            raise RuntimeError("injected bug")

        monkeypatch.setattr(vendor.model, "validate", broken)
        request = {"method": "POST", "path": "postSMS", "json": send_body()}
    else:
        request = dict(GENERIC_REQUESTS[row.name])
    method, path = request.pop("method"), request.pop("path")
    response = await client.request(method, f"/voiceotp/onsmsapivoice/{path}", **request)
    assert response.status == row.status
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert await response.text() == str(row.code)
