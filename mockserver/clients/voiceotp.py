"""Reference async client of the Voice OTP gateway (``/onsmsapivoice/``), written from the seed.

The gateway answers in bare codes (``1,,,<request_id>``, ``27``, ``-1``...); this client turns them
into typed results that carry the code's meaning in English and Vietnamese from the vendor's own
table (:mod:`mockserver.vendors.voiceotp.errors`), polls ``checkVoice`` until the call is answered
or failed, and reads the balance::

    async with VoiceOtpClient("http://127.0.0.1:8080/voiceotp/onsmsapivoice",
                              "demo", "demo-voice-pass", "demo-voice-key") as client:
        sent = await client.send("0361234567", "123456")
        if sent.ok:
            status = await client.wait(sent.request_id, timeout=60)
            print(status.state)  # "answered" or "failed"

Against the real gateway the base URL is ``http://210.211.108.20:8080/onsmsapivoice``.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from mockserver.clients.base import HttpClient
from mockserver.vendors.voiceotp.errors import (
    CHECK_BALANCE_BY_CODE,
    CHECK_VOICE_BY_CODE,
    POST_SMS_BY_CODE,
    VOICE_ANSWERED,
    VOICE_FAILED,
    VOICE_PENDING,
    Code,
)

SEPARATOR = ",,,"


class VoiceOtpProtocolError(Exception):
    """The gateway answered something that is not one of its documented shapes."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"unexpected answer (HTTP {status}): {body[:200]!r}")
        self.status = status
        self.body = body


class VoiceOtpTimeout(TimeoutError):
    """``wait`` gave up while the call was still pending; ``last`` is the last status read."""

    def __init__(self, request_id: str, last: CallStatus | None) -> None:
        super().__init__(f"call {request_id} still not final")
        self.request_id = request_id
        self.last = last


def _meaning(code: int, *tables: dict[int, Code]) -> tuple[str, str, str]:
    for table in tables:
        row = table.get(code)
        if row is not None:
            return row.name, row.en, row.vi
    return "UNKNOWN", f"Unknown code {code}", f"Mã không xác định {code}"


@dataclass(frozen=True, slots=True)
class SendResult:
    """postSMS's answer: code 1 with a ``request_id``, or a refusal code alone."""

    code: int
    name: str
    meaning_en: str
    meaning_vi: str
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.code == 1 and self.request_id is not None


@dataclass(frozen=True, slots=True)
class CallStatus:
    """checkVoice's answer. ``state`` is ``answered`` (1), ``pending`` (27), ``failed`` (23, busy
    or no answer) or ``error`` (a refusal such as -1 or 11: polling again will not change it)."""

    code: int
    name: str
    meaning_en: str
    meaning_vi: str
    state: str

    @property
    def answered(self) -> bool:
        return self.state == "answered"

    @property
    def done(self) -> bool:
        return self.state != "pending"


_STATES = {VOICE_ANSWERED: "answered", VOICE_PENDING: "pending", VOICE_FAILED: "failed"}


@dataclass(frozen=True, slots=True)
class Balance:
    errorcode: str
    balance: float
    meaning_en: str
    meaning_vi: str

    @property
    def ok(self) -> bool:
        return self.errorcode == "1"


def parse_code(status: int, body: str) -> tuple[int, str | None]:
    """``(code, request_id)`` of a plain-text answer: ``1,,,<id>`` or ``<code>``."""
    text = body.strip()
    head, sep, tail = text.partition(SEPARATOR)
    try:
        code = int(head)
    except ValueError:
        raise VoiceOtpProtocolError(status, body) from None
    if sep and not tail:
        raise VoiceOtpProtocolError(status, body)
    return code, (tail if sep else None)


def parse_send(status: int, body: str) -> SendResult:
    code, request_id = parse_code(status, body)
    return SendResult(code, *_meaning(code, POST_SMS_BY_CODE), request_id)


def parse_check(status: int, body: str) -> CallStatus:
    code, _ = parse_code(status, body)
    state = _STATES.get(code, "error")
    tables = (CHECK_VOICE_BY_CODE, POST_SMS_BY_CODE) if state != "error" else (POST_SMS_BY_CODE,)
    return CallStatus(code, *_meaning(code, *tables), state)


def parse_balance(status: int, body: str) -> Balance:
    try:
        data = json.loads(body)
        errorcode = str(data["errorcode"])
        balance = data.get("balance", 0)
        if isinstance(balance, bool) or not isinstance(balance, int | float):
            raise TypeError
        code = int(errorcode)
    except (ValueError, KeyError, TypeError):
        raise VoiceOtpProtocolError(status, body) from None
    _, en, vi = _meaning(code, CHECK_BALANCE_BY_CODE)
    return Balance(errorcode, balance, en, vi)


class VoiceOtpClient(HttpClient):
    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        key: str,
        *,
        sender: str = "DAUSO1",
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = 10.0,
    ) -> None:
        super().__init__(base_url, session)
        self.username = username
        self.password = password
        self.key = key
        self.sender = sender
        self._request_timeout = aiohttp.ClientTimeout(total=request_timeout)

    def _credentials(self) -> dict[str, str]:
        return {"username": self.username, "pass": self.password, "key": self.key}

    async def _post(self, operation: str, body: dict[str, Any]) -> tuple[int, str]:
        async with self.session.post(
            f"{self.base_url}/{operation}", json=body, timeout=self._request_timeout
        ) as response:
            return response.status, await response.text()

    async def send(self, phone: str, code: str, *, sender: str | None = None) -> SendResult:
        """Ask the gateway to call ``phone`` and read out ``code`` (1-6 digits)."""
        body = {"phonesend": phone, "sender": sender or self.sender, "message": code, **self._credentials()}
        return parse_send(*await self._post("postSMS", body))

    async def check(self, request_id: str) -> CallStatus:
        return parse_check(*await self._post("checkVoice", {**self._credentials(), "request_id": request_id}))

    async def wait(self, request_id: str, *, timeout: float = 60.0, interval: float = 2.0) -> CallStatus:
        """Poll checkVoice until the call is answered, failed or refused; raise
        :class:`VoiceOtpTimeout` when it is still pending after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        last: CallStatus | None = None
        while True:
            last = await self.check(request_id)
            if last.done:
                return last
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise VoiceOtpTimeout(request_id, last)
            await asyncio.sleep(min(interval, remaining))

    async def balance(self) -> Balance:
        return parse_balance(*await self._post("checkBalance", self._credentials()))
