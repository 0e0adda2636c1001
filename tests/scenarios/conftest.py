"""Fixtures for the scenario tests: a real server loaded with an inline scenario, and helpers
that speak to any vendor through its ``sample_send`` / ``sample_recipient`` only."""

from __future__ import annotations

import copy
import html
import itertools
import json
import re
import textwrap
from typing import Any

import pytest

from mockserver.app import SERVICES
from mockserver.bundled import vendor_defaults
from mockserver.core.errors import ErrorRow
from mockserver.vendors import discover

VENDORS = [v.name for v in discover()]


def roomy_accounts() -> dict[str, Any]:
    """The bundled demo accounts with room for the many sends these tests make: Voice OTP's demo
    balance is 10 calls and ANTS allows 50 requests a second, which a loop of sends would hit."""
    sections = {name: copy.deepcopy(located.data) for name, located in vendor_defaults().items()}
    for account in sections.get("voiceotp", {}).get("accounts", []):
        account["balance"] = 1_000_000
    for account in sections.get("ants", {}).get("accounts", []):
        account["rate_limit"] = {"requests": 100_000, "seconds": 1}
    return {"vendors": sections}


@pytest.fixture
def scenario_client(aiohttp_client, make_app, tmp_path):
    """``await scenario_client(yaml_text=None, files=(), seed=1234, **make_app_kw)``."""
    count = 0

    async def make(text: str | None = None, *, files: tuple[str, ...] = (), seed: int = 1234, **kw: Any):
        nonlocal count
        scenarios: list[Any] = list(files)
        if text is not None:
            count += 1
            path = tmp_path / f"scenario{count}.yaml"
            path.write_text(textwrap.dedent(text), encoding="utf-8")
            scenarios.append(path)
        config = kw.pop("config", None) or roomy_accounts()
        return await aiohttp_client(make_app(config, seed=seed, scenarios=scenarios, **kw))

    return make


def services(client) -> Any:
    return client.server.app[SERVICES]


def messages(client) -> list[Any]:
    """The journaled messages, oldest first."""
    return list(services(client).store.messages.values())


def vendor_of(client, name: str) -> Any:
    return services(client).vendors[name]


_texts = itertools.count(1)


async def send(client, vendor: Any, recipient: str | None = None, text: str = "Hello", headers: dict | None = None):
    """One valid single send to ``vendor``; returns (status, body bytes, response headers).

    Each text gets a serial number: FPT refuses the same content to the same number within five
    minutes (2501), and these tests send many."""
    req = vendor.sample_send(recipient or vendor.sample_recipient(500), f"{text} {next(_texts)}")
    async with client.session.request(
        req.method, client.make_url(req.path), data=req.body, headers={**req.headers, **(headers or {})}
    ) as resp:
        return resp.status, await resp.read(), resp.headers


def shows_row(status: int, body: bytes, row: ErrorRow, detail: str | None = None) -> bool:
    """Whether an answer is ``row`` as its vendor renders it: its HTTP status, and its text (or
    code) in the body, whatever the body's format."""
    text = body.decode("utf-8", "replace")
    message = detail or row.message
    forms = {message, html.escape(message, quote=False), json.dumps(message)[1:-1]}
    found = any(f in text for f in forms) or (row.code is not None and _shows_code(text, str(row.code)))
    return status == row.status and found


def _shows_code(text: str, code: str) -> bool:
    """The code as a whole value: the entire body (Voice OTP's plain-text answers), a JSON value
    or an XML element's text; never a digit inside an id or a UUID."""
    if text.strip() == code:
        return True
    value = re.escape(code)
    return re.search(rf':\s*"?{value}"?\s*[,}}]|>{value}<', text) is not None
