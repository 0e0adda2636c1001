"""ThaiBulkSMS fixtures: the demo credentials, config variants with account flags, request helpers."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from mockserver.vendors.thaibulksms import ThaiBulkSMS

API_KEY = "c30eeef23eab29631ac350b6bd6ef6f9"
API_SECRET = "aeb2a61fe2d4f97ff069ea7e030cb193"


def basic(login: str, password: str) -> dict[str, str]:
    """An ``Authorization: Basic`` header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode("ascii")}


AUTH = basic(API_KEY, API_SECRET)
OTP_APP = {"key": "demo-otp-key", "secret": "demo-otp-secret"}
SMS = "/thaibulksms"
OTP = "/thaibulksms-otp"


def vendor_config(**account_changes: Any) -> dict[str, Any]:
    """The bundled ThaiBulkSMS section with the demo account changed (flags, credit...)."""
    section = yaml.safe_load(ThaiBulkSMS.defaults_path().read_text(encoding="utf-8"))
    section = copy.deepcopy(section)
    section["accounts"][0].update(account_changes)
    return {"vendors": {"thaibulksms": section}}


@pytest.fixture
async def tbs_client(aiohttp_client, make_app) -> Callable[..., Any]:
    """``await tbs_client(**account_changes)``: a client of a server whose demo account is changed."""

    async def make(*, scenarios=None, **changes: Any):
        return await aiohttp_client(make_app(vendor_config(**changes), scenarios=scenarios))

    return make


async def send(
    client,
    fields: dict[str, Any] | None = None,
    *,
    json: bool = False,
    auth=AUTH,
    headers: dict[str, str] | None = None,
    **extra: Any,
):
    """POST /thaibulksms/sms with a valid default body, ``fields`` overriding it (None removes)."""
    body: dict[str, Any] = {"msisdn": "0812345678", "message": "Hello", "sender": "Demo"}
    for key, value in (fields or {}).items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    headers = {**auth, **(headers or {})}
    if json:
        return await client.post(f"{SMS}/sms", json=body, headers=headers, **extra)
    return await client.post(f"{SMS}/sms", data=body, headers=headers, **extra)


async def error_of(resp) -> dict[str, Any]:
    data = await resp.json()
    assert set(data) == {"error"}, data
    assert list(data["error"]) == ["code", "name", "description"]
    return data["error"]
