"""Every row of ThaiBulkSMS's error table, reached the way a user would reach it.

``CASES`` maps each row name to the request (and account flags) that produces it; the
parametrised test runs over the table itself, so a row without a case fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import yaml

from mockserver.vendors.thaibulksms.errors import ERRORS, OTP_ROWS

from ..conftest import services_of
from .conftest import API_KEY, AUTH, OTP, OTP_APP, SMS, basic, error_of, send

Run = Callable[[Any], Awaitable[aiohttp.ClientResponse]]


@dataclass
class Case:
    run: Run
    account: dict[str, Any] = field(default_factory=dict)  # account flags in the config


def fields(**f: Any) -> Run:
    return lambda c: send(c, f)


def scheduled(delta: timedelta, tz: str = "+07:00") -> Run:
    async def run(c):
        now = services_of(c).clock.datetime()
        when = (now + delta).strftime("%Y-%m-%dT%H:%M:%S") + tz
        return await send(c, {"scheduled_delivery": when})

    return run


async def _code_invalid(c):
    resp = await c.post(f"{OTP}/v2/otp/request", data={**OTP_APP, "msisdn": "0812345678"})
    token = (await resp.json())["token"]
    return await c.post(f"{OTP}/v2/otp/verify", data={**OTP_APP, "token": token, "pin": "not-the-pin"})


CASES: dict[str, Case] = {
    "NO_ERROR": Case(fields()),
    "ERROR_FORM": Case(fields(msisdn=None)),
    "ERROR_FORCE": Case(fields(force="premium")),
    "ERROR_SENDER": Case(fields(sender="WayTooLongSender")),
    "ERROR_SENDER_NOT_FOUND": Case(fields(sender="demo")),  # exact spelling: "Demo"
    "ERROR_MESSAGE": Case(fields(message="   ")),
    "ERROR_MESSAGE_TOO_LONG": Case(fields(message="a" * (153 * 10 + 1))),
    "ERROR_MSISDN": Case(fields(msisdn="12345,0212345678")),
    "ERROR_MSISDN_EXCEEDED_LIMIT": Case(fields(msisdn=",".join(f"0812{i:06d}" for i in range(501)))),
    "ERROR_INSUFFICIENT_CREDIT": Case(
        fields(msisdn="0812345678,0898765432"), {"credit": {"standard": 1, "corporate": 0}}
    ),
    "ERROR_CALLBACK_URL": Case(fields(callback_url="ftp://example.com/dr")),
    "ERROR_CALLBACK_METHOD": Case(fields(callback_url="http://example.com/dr", callback_method="PATCH")),
    "ERROR_SCHEDULED_DELIVERY": Case(fields(scheduled_delivery="17/12/2030 17:12")),
    "ERROR_SCHEDULED_DELIVERY_TOO_FAR": Case(scheduled(timedelta(days=400))),
    "ERROR_SCHEDULED_DELIVERY_TIMEZONE": Case(scheduled(timedelta(hours=7, minutes=5), "Z")),
    "ERROR_TAGS": Case(fields(tag="promo,<script>")),
    "ERROR_TAGS_EXCEEDED_LENGTH": Case(fields(tag="x" * 51)),
    "ERROR_TAGS_EXIST": Case(fields(tag="promo", tags="PROMO")),
    "ERROR_CONFIGURATION": Case(fields(), {"configuration_error": True}),
    "ERROR_ACC_ID": Case(fields(acc_id="999")),
    "ERROR_AUTHENTICATION_FAILED": Case(lambda c: send(c, auth=basic(API_KEY, "wrong"))),
    "ERROR_API_KEY_SUSPENDED": Case(fields(), {"api_key_status": "suspended"}),
    "ERROR_IP_SUSPENDED": Case(fields(), {"suspended_ips": ["127.0.0.1"]}),
    "ERROR_IP_NOT_ALLOWED": Case(fields(), {"allowed_ips": ["10.1.2.3"]}),
    "ERROR_USER_BLOCKED": Case(fields(), {"user_status": "blocked"}),
    "ERROR_USER_TRIAL": Case(
        fields(msisdn="0812345678,0898765432"), {"trial": True, "registered_numbers": ["0812345678"]}
    ),
    "ERROR_API_KEY_DISABLED": Case(lambda c: c.get(f"{SMS}/credit", headers=AUTH), {"api_key_status": "disabled"}),
    "ERROR_NOT_FOUND": Case(lambda c: c.post(f"{SMS}/v2/sms", headers=AUTH)),
    "ERROR_USER_NOT_FOUND": Case(fields(), {"user_status": "not_found"}),
    "ERROR_USER_PROFILE_NOT_FOUND": Case(fields(), {"user_status": "profile_not_found"}),
    "ERROR_METHOD_NOT_ALLOWED": Case(lambda c: c.get(f"{SMS}/sms", headers=AUTH)),
    "OTP_INVALID_PARAMETER": Case(lambda c: c.post(f"{OTP}/v2/otp/request", data=OTP_APP)),
    "OTP_TOKEN_EXPIRED": Case(
        lambda c: c.post(f"{OTP}/v2/otp/verify", data={**OTP_APP, "token": "nope", "pin": "123456"})
    ),
    "OTP_CODE_INVALID": Case(_code_invalid),
}
SYSTEM_ROWS = [row for row in ERRORS if row.status == 500]
OTP_NAMES = {row.name for row in OTP_ROWS}


def test_table_matches_the_seed() -> None:
    """56 distinct names from the seed (ERROR_USER_NOT_FOUND listed twice) + 3 OTP texts."""
    seed_rows = [row for row in ERRORS if row.name not in OTP_NAMES]
    assert len(seed_rows) == 56
    assert ERRORS["ERROR_MESSAGE"].code == 112  # the seed's example
    codes = [row.code for row in seed_rows]
    assert len(set(codes)) == len(codes)
    by_status = {status: [r.code for r in seed_rows if r.status == status] for status in (400, 500)}
    assert by_status[400] == list(range(108, 127))
    assert by_status[500] == list(range(501, 526))
    assert [r.status for r in seed_rows].count(403) == 6


@pytest.mark.parametrize("name", [row.name for row in ERRORS if row.status != 500])
async def test_every_row_is_reachable(name: str, tbs_client) -> None:
    row = ERRORS[name]
    case = CASES[name]
    client = await tbs_client(**case.account)
    balance_before = dict(services_of(client).vendors["thaibulksms"].model.accounts[API_KEY].credit)
    resp = await case.run(client)
    assert resp.status == row.status
    if name == "NO_ERROR":
        assert "error" not in await resp.json()
        return
    if name in OTP_NAMES:
        body = await resp.json()
        assert body == {"code": 400, "errors": [body["errors"][0]]}
        assert body["errors"][0]["message"] == row.message
        return
    assert await error_of(resp) == {"code": row.code, "name": name, "description": row.message}
    # A refused send sends nothing and charges nothing.
    services = services_of(client)
    assert services.store.find_messages(vendor="thaibulksms") == []
    assert services.vendors["thaibulksms"].model.accounts[API_KEY].credit == balance_before


@pytest.fixture
def failure_scenario(tmp_path):
    """A scenario file: header ``X-Fail: NAME`` makes ThaiBulkSMS answer that error."""
    rules = [
        {
            "name": f"fail {row.name}",
            "match": {"vendor": "thaibulksms", "header": {"X-Fail": row.name}},
            "respond": {"error": row.name},
        }
        for row in SYSTEM_ROWS
    ]
    rules.append(
        {"name": "by code", "match": {"vendor": "thaibulksms", "header": {"X-Fail": "code"}}, "respond": {"error": 512}}
    )
    path = tmp_path / "outage.yaml"
    path.write_text(yaml.safe_dump({"name": "outage", "rules": rules}), encoding="utf-8")
    return path


async def test_every_500_row_through_a_scenario(tbs_client, failure_scenario) -> None:
    client = await tbs_client(scenarios=[failure_scenario])
    assert len(SYSTEM_ROWS) == 25
    for row in SYSTEM_ROWS:
        resp = await send(client, headers={"X-Fail": row.name})
        assert resp.status == 500
        assert await error_of(resp) == {"code": row.code, "name": row.name, "description": row.message}
    resp = await send(client, headers={"X-Fail": "code"})
    assert (await error_of(resp))["name"] == "ERROR_CONNECTION_REFUSED"
    # The credit endpoint and the OTP API (in its own wrapper) go through the same rules.
    resp = await client.get(f"{SMS}/credit", headers={**AUTH, "X-Fail": "ERROR_DB_FAILURE"})
    assert (await error_of(resp))["code"] == 502
    resp = await client.post(
        f"{OTP}/v2/otp/request", data={**OTP_APP, "msisdn": "0812345678"}, headers={"X-Fail": "ERROR_QUEUE_FAILURE"}
    )
    assert resp.status == 500
    assert await resp.json() == {"code": 500, "errors": [{"message": "Queue Failure.", "detail": None}]}
    resp = await client.post(
        f"{OTP}/v1/otp/request", data={**OTP_APP, "msisdn": "0812345678"}, headers={"X-Fail": "ERROR_QUEUE_FAILURE"}
    )
    assert await resp.json() == {"error": {"code": 500, "errors": [{"message": "Queue Failure.", "detail": None}]}}
    # Without the header the same request is served normally.
    assert (await send(client)).status == 200
