"""A request that nothing serves (unknown host, unknown prefix, ``/``) gets a JSON 404 that names
what the mock serves; ``/`` in a browser gets a page that links the inbox and the vendors."""

from __future__ import annotations

import pytest

from mockserver.app import SERVICES, create_app


@pytest.fixture
async def client(aiohttp_client):
    return await aiohttp_client(create_app(scenarios=[]))


def every_mount(client) -> set[tuple[str, str]]:
    vendors = client.server.app[SERVICES].vendors.values()
    return {(v.name, m.prefix) for v in vendors for m in v.mounts()}


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/", {}),
        ("POST", "/nosuchvendor/api/send", {}),
        ("GET", "/smartsmsbulkx/api/v2/SendSMS", {}),  # a prefix that only starts like one
        ("POST", "/sms/send", {"Host": "api.unknown-vendor.example"}),  # a real path on an unknown host
    ],
)
async def test_unmapped_requests_get_a_json_404_that_lists_what_is_served(client, method, path, headers):
    response = await client.request(method, path, headers=headers)
    assert response.status == 404
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["error"] == "not_found" and path in body["message"]
    assert {(m["vendor"], m["prefix"]) for m in body["served"]} == every_mount(client)
    hosts = {h for m in body["served"] for h in m["hosts"]}
    assert "services.smartsmsbulk.com" in hosts and "api-service.ants.co.th" in hosts
    assert body["inbox"] == "/_mock/ui/"


async def test_root_in_a_browser_links_the_inbox_and_every_vendor(client):
    response = await client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert "href='/_mock/ui/'" in page and "href='/_mock/vendors'" in page
    for _, prefix in every_mount(client):
        assert f"href='{prefix}'" in page
    assert (await client.get("/_mock/vendors")).status == 200  # the links lead somewhere


async def test_vendor_paths_and_their_own_404s_are_unchanged(client):
    # Under a vendor's prefix, an unknown path is still that vendor's own 404, not ours.
    response = await client.get("/smartsmsbulk/api/v2/nothing-here")
    assert response.status == 404
    assert "served" not in (await response.text())
