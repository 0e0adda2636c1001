"""ANTS fixtures: the reference client bound to a real test server, raw-request helpers."""

from __future__ import annotations

import base64

import pytest

from mockserver.clients.ants import AntsClient

USER, PASSWORD = "demo", "demo-ants-pass"
OTC_ID = "0DC8E7AD-5D4B-4D7B-9C8E-6F2A1B3C4D5E"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
JSON = {**AUTH, "Content-Type": "application/json", "Accept": "application/json"}
XML = {**AUTH, "Content-Type": "application/xml", "Accept": "application/xml"}
SEED_CALLBACK_AUTH = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="  # the seed's header = the demo callback_auth


def ants_client(client, *, xml: bool = False, user: str = USER, password: str = PASSWORD) -> AntsClient:
    return AntsClient(str(client.make_url("/ants")), user, password, xml=xml, session=client.session)


@pytest.fixture(params=["json", "xml"])
def fmt(request) -> str:
    return request.param


@pytest.fixture
def ants(client, fmt) -> AntsClient:
    """The reference client in JSON and, in a second run, in XML."""
    return ants_client(client, xml=fmt == "xml")


@pytest.fixture
async def frozen(aiohttp_client, make_app):
    """A server whose clock only moves when a test moves it."""
    return await aiohttp_client(make_app(frozen_clock=True))
