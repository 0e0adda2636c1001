"""What every reference client shares: its HTTP session.

A client uses the caller's ``aiohttp.ClientSession`` when given one (and leaves it open), or
opens its own on first use and closes it in :meth:`HttpClient.close` / ``async with``.
"""

from __future__ import annotations

from typing import Any, Self

import aiohttp


class HttpClient:
    def __init__(
        self, base_url: str, session: aiohttp.ClientSession | None = None, timeout: float | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout) if timeout is not None else None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout) if self._timeout else aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
