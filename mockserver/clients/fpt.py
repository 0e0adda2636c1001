"""Reference async client of FPT SMS Brandname, written against the vendor's document.

It works against the real service and against the mock alike (only ``base_url`` differs)::

    async with FptClient("http://127.0.0.1:8080/fpt", CLIENT_ID, CLIENT_SECRET) as fpt:
        sent = await fpt.push_otp("0949123456", "Mã OTP của bạn là 1234", brandname="FTI")

What it does for you: it gets an OAuth2 token per scope (``send_brandname_otp`` for single sends,
``send_brandname`` for campaigns) and caches it until shortly before ``expires_in``; when the
server says the token is invalid (1011) or expired (1013) anyway, for instance because the
server restarted or its clock moved, it fetches a new one once and retries the call. Message
texts are base64-encoded (UTF-8) where the document asks for it. Every error answer is raised as
:class:`FptError` with the vendor's code and description.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from mockserver.clients.base import HttpClient

SCOPE_OTP = "send_brandname_otp"
SCOPE_ADS = "send_brandname"
REFRESH_CODES = frozenset({1011, 1013})  # invalid / expired token: get a new one and retry once
EXPIRY_MARGIN = 30.0  # seconds before expires_in at which a cached token is renewed


class FptError(Exception):
    """An FPT error answer: ``code`` (1001-1016, 25xx; None if the body was not FPT's shape)."""

    def __init__(self, status: int, code: int | None, description: str, body: Any = None) -> None:
        super().__init__(f"FPT error {code} (HTTP {status}): {description}")
        self.status = status
        self.code = code
        self.description = description
        self.body = body


@dataclass
class _CachedToken:
    value: str
    expires_at: float  # time.monotonic()


def encode_message(text: str) -> str:
    """``Message`` as push-brandname-otp wants it: base64 of the UTF-8 text."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def schedule_time(value: datetime | str) -> str:
    """``yyyy-mm-dd HH:ii`` (Asia/Ho_Chi_Minh); a datetime is formatted, a string passed as is."""
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value


class FptClient(HttpClient):
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        session_id: str | None = None,
        http: aiohttp.ClientSession | None = None,
        bearer: bool = False,
    ) -> None:
        """``base_url`` without the trailing slash (``http://sandbox.sms.fpt.net`` or the mock's
        ``http://127.0.0.1:8080/fpt``). ``bearer=True`` sends the token as ``Authorization:
        Bearer`` instead of in the body."""
        super().__init__(base_url, http)
        self.client_id = client_id
        self.client_secret = client_secret
        self.session_id = session_id or uuid.uuid4().hex
        self.bearer = bearer
        self._tokens: dict[str, _CachedToken] = {}
        self.token_requests = 0  # how many times a token was fetched (for tests and logs)

    # -- transport ---------------------------------------------------------------------------
    async def _post(self, path: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Any:
        async with self.session.post(self.base_url + path, json=dict(body), headers=headers) as response:
            text = await response.text()
            try:
                data = await response.json(content_type=None)
            except ValueError:
                raise FptError(response.status, None, text) from None
        if response.status != 200 or (isinstance(data, dict) and "error" in data):
            code = data.get("error") if isinstance(data, dict) else None
            description = data.get("error_description", text) if isinstance(data, dict) else text
            raise FptError(response.status, code if isinstance(code, int) else None, str(description), data)
        return data

    # -- tokens ------------------------------------------------------------------------------
    async def token(self, scope: str, *, refresh: bool = False) -> str:
        """An access token for ``scope``, from the cache unless it is (nearly) expired or ``refresh``."""
        cached = self._tokens.get(scope)
        if cached is not None and not refresh and time.monotonic() < cached.expires_at:
            return cached.value
        data = await self._post(
            "/oauth2/token",
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": scope,
                "session_id": self.session_id,
            },
        )
        self.token_requests += 1
        lifetime = float(data.get("expires_in", 3600))
        self._tokens[scope] = _CachedToken(data["access_token"], time.monotonic() + max(0.0, lifetime - EXPIRY_MARGIN))
        return data["access_token"]

    async def call(self, path: str, scope: str, payload: Mapping[str, Any]) -> Any:
        """POST ``payload`` to an API with a token of ``scope``; on 1011/1013 renew it once and retry."""
        for attempt in range(2):
            token = await self.token(scope, refresh=attempt > 0)
            body = {"session_id": self.session_id, **payload}
            headers = None
            if self.bearer:
                headers = {"Authorization": f"Bearer {token}"}
            else:
                body = {"access_token": token, **body}
            try:
                return await self._post(path, body, headers)
            except FptError as exc:
                if attempt == 0 and exc.code in REFRESH_CODES:
                    continue
                raise
        raise AssertionError("unreachable")

    # -- the API -----------------------------------------------------------------------------
    async def push_otp(self, phone: str, text: str, *, brandname: str, request_id: str | None = None) -> dict[str, Any]:
        """push-brandname-otp: one brandname SMS to a Vietnamese number (84xxx or 0xxx)."""
        payload: dict[str, Any] = {"BrandName": brandname, "Phone": phone, "Message": encode_message(text)}
        if request_id is not None:
            payload["RequestId"] = request_id
        return await self.call("/api/push-brandname-otp", SCOPE_OTP, payload)

    async def push_international(
        self, phone: str, text: str, *, brandname: str, request_id: str | None = None
    ) -> dict[str, Any]:
        """push-brandname-international: the same body, to a number outside Vietnam."""
        payload: dict[str, Any] = {"BrandName": brandname, "Phone": phone, "Message": encode_message(text)}
        if request_id is not None:
            payload["RequestId"] = request_id
        return await self.call("/api/push-brandname-international", SCOPE_OTP, payload)

    async def create_campaign(
        self, name: str, *, brandname: str, message: str, schedule: datetime | str, quota: int
    ) -> str:
        """create-campaign; returns the CampaignCode. ``message`` is plain text, as documented."""
        data = await self.call(
            "/api/create-campaign",
            SCOPE_ADS,
            {
                "CampaignName": name,
                "BrandName": brandname,
                "Message": message,
                "ScheduleTime": schedule_time(schedule),
                "Quota": quota,
            },
        )
        return data["CampaignCode"]

    async def push_ads(self, campaign_code: str, phones: Iterable[str] | str) -> dict[str, Any]:
        """push-brandname-ads: a batch of numbers to a campaign (BatchId, NumMessageSent, NumRemainQuota)."""
        phone_list = phones if isinstance(phones, str) else ",".join(phones)
        return await self.call(
            "/api/push-brandname-ads", SCOPE_ADS, {"CampaignCode": campaign_code, "PhoneList": phone_list}
        )

    async def cancel_ads(self, campaign_code: str) -> dict[str, list[str]]:
        """cancel-ads: ``{"success": [BatchId...], "fail": [BatchId...]}``."""
        return await self.call("/api/cancel-ads", SCOPE_ADS, {"CampaignCode": campaign_code})
