"""``/_mock/inbound``: the vendor-neutral part (vendor choice, journal, filters, bounds)."""

from __future__ import annotations

import pytest

from mockserver.core.store import InboundRecord, Store
from tests.conftest import services_of


async def post(client, **body):
    resp = await client.post("/_mock/inbound", json=body)
    return resp.status, await resp.json()


@pytest.mark.parametrize("vendor", ["fpt", "thaibulksms", "smartsmsbulk", "voiceotp"])
async def test_vendor_without_inbound_api_is_400_naming_those_with_one(client, vendor):
    status, data = await post(client, vendor=vendor, **{"from": "66812345678"}, text="hi")
    assert status == 400
    assert "publishes no inbound API" in data["error"]
    assert data["error"].endswith("vendors with an inbound API: ants")


async def test_unknown_or_missing_vendor(client):
    status, data = await post(client, vendor="nokia", text="hi")
    assert status == 400 and "unknown vendor 'nokia'" in data["error"] and "ants" in data["error"]
    status, data = await post(client, text="hi")
    assert status == 400 and data["error"].startswith("vendor is required")


async def test_the_vendors_named_are_discovered(client):
    """The list comes from the mounted vendors: without ANTS, nobody has one."""
    services_of(client).vendors.pop("ants")
    status, data = await post(client, vendor="fpt", text="hi")
    assert status == 400 and data["error"].endswith("no mounted vendor has an inbound API")
    vendors = await (await client.get("/_mock/vendors")).json()
    assert all(v["inbound"] is False for v in vendors)


async def test_vendors_say_which_have_inbound(client):
    vendors = {v["name"]: v["inbound"] for v in await (await client.get("/_mock/vendors")).json()}
    assert vendors == {"ants": True, "fpt": False, "smartsmsbulk": False, "thaibulksms": False, "voiceotp": False}


@pytest.mark.parametrize(
    "body",
    [[1], "text", {"vendor": "ants", "from": True, "text": "x"}, {"vendor": "ants", "from": "66812345678", "text": 5}],
)
async def test_bad_bodies_are_json_400(client, body):
    resp = await client.post("/_mock/inbound", json=body)
    assert resp.status == 400 and "error" in await resp.json()


async def test_listing_and_filters(client, receiver):
    sends = [
        ("66812345678", "ANTS", "ANTS hello"),
        ("0898765432", "PROMO", "promo yes"),
        ("+66812345678", "PROMO", "promo no"),
    ]
    for number, keyword, text in sends:
        status, _ = await post(client, vendor="ants", text=text, keyword=keyword, url=receiver.url, **{"from": number})
        assert status == 200
    everything = await (await client.get("/_mock/inbound")).json()
    assert [r["id"] for r in everything["inbound"]] == ["in-3", "in-2", "in-1"]
    assert everything["total"] == 3 and everything["vendors"] == ["ants"]
    assert everything["inbound"][0]["from"] == "66812345678"  # as the vendor writes it

    async def ids(query: str) -> list[str]:
        resp = await client.get("/_mock/inbound?" + query)
        assert resp.status == 200, await resp.text()
        return [r["id"] for r in (await resp.json())["inbound"]]

    assert await ids("phone=0812345678") == ["in-3", "in-1"]
    assert await ids("from=66898765432") == ["in-2"]
    assert await ids("keyword=promo") == ["in-3", "in-2"]
    assert await ids("q=YES") == ["in-2"]
    assert await ids("vendor=fpt") == []
    assert await ids("account=demo&limit=1") == ["in-3"]
    assert await ids("status=pending") == []  # the receiver answered 200 ("ok": not ANTS's answer)
    assert await ids("status=invalid") == ["in-3", "in-2", "in-1"]
    assert await ids("since=2999-01-01T00:00:00Z") == []
    for bad in ("status=lost", "limit=0", "since=yesterday"):
        resp = await client.get("/_mock/inbound?" + bad)
        assert resp.status == 400 and "error" in await resp.json()
    resp = await client.get("/_mock/inbound/in-99")
    assert resp.status == 404 and (await resp.json())["error"] == "no such inbound message"


async def test_reset_empties_the_inbound_journal(client, receiver):
    await post(client, vendor="ants", text="hi there", url=receiver.url, **{"from": "66812345678"})
    assert (await client.post("/_mock/reset")).status == 200
    assert (await (await client.get("/_mock/inbound")).json())["total"] == 0
    _, data = await post(client, vendor="ants", text="again", url=receiver.url, **{"from": "66812345678"})
    assert data["id"] == "in-1"


def test_the_inbound_journal_is_bounded():
    store = Store(journal_size=2)
    for _ in range(5):
        seq, inbound_id = store.next_inbound_id()
        store.add_inbound(InboundRecord(inbound_id, "ants", "demo", "66812345678", "K", "t", "http://x", 0.0, seq=seq))
    assert list(store.inbound) == ["in-4", "in-5"]
