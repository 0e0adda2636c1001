"""Voice OTP test helpers: the demo credentials, request bodies, configs, one POST helper."""

from __future__ import annotations

from typing import Any

BASE = "/voiceotp/onsmsapivoice"
CREDENTIALS = {"username": "demo", "pass": "demo-voice-pass", "key": "demo-voice-key"}
DEMO_ACCOUNT: dict[str, Any] = {
    "username": "demo",
    "pass": "demo-voice-pass",
    "key": "demo-voice-key",
    "senders": ["DAUSO1", "DAUS01"],
    "balance": 10,
}


MISSING: Any = object()  # an override that removes the field


def send_body(**overrides: Any) -> dict[str, Any]:
    """A valid postSMS body as the seed shows it, with ``overrides`` (``MISSING`` removes a field)."""
    body = {"phonesend": "0361234567", "sender": "DAUSO1", "message": "123456", **CREDENTIALS}
    for key, value in overrides.items():
        if value is MISSING:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def voice_config(*accounts: dict[str, Any]) -> dict[str, Any]:
    """A config whose Voice OTP section holds ``accounts`` (each a set of overrides of the demo)."""
    return {"vendors": {"voiceotp": {"accounts": [{**DEMO_ACCOUNT, **a} for a in accounts or ({},)]}}}


async def post(client: Any, operation: str, body: Any = None, **kw: Any) -> tuple[int, str, str]:
    """(HTTP status, Content-Type, body text) of a POST to one operation."""
    if body is not None:
        kw["json"] = body
    response = await client.post(f"{BASE}/{operation}", **kw)
    return response.status, response.headers.get("Content-Type", ""), await response.text()
