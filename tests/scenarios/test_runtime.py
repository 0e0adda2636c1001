"""``/_mock/scenario``: changes apply to the next request, bad ones are refused whole, and
concurrent requests see one rule set or the other, never a broken one."""

from __future__ import annotations

import asyncio

from mockserver.engine.scenarios import resolve_error

from .conftest import VENDORS, send, services, shows_row, vendor_of


def _outage_row(vendor):
    return resolve_error(vendor, "@unavailable")


async def test_get_lists_rules_with_hit_counts(scenario_client):
    client = await scenario_client(None, files=("default",))
    vendor = vendor_of(client, VENDORS[0])
    state = await (await client.get("/_mock/scenario")).json()
    assert state["sources"] == ["default.yaml"]
    magic = next(r for r in state["rules"] if r.get("respond"))
    assert magic["hits"] == 0 and magic["source"] == "default.yaml#magic_recipients"
    await send(client, vendor, magic["match"]["recipient"][0])
    state = await (await client.get("/_mock/scenario")).json()
    assert next(r for r in state["rules"] if r["id"] == magic["id"])["hits"] == 1


async def test_put_named_file_then_a_bad_one_keeps_it(scenario_client):
    client = await scenario_client(None, files=("default",))
    vendor = vendor_of(client, VENDORS[0])
    resp = await client.put("/_mock/scenario", json={"name": "outage"})
    assert resp.status == 200 and (await resp.json())["sources"] == ["outage.yaml"]
    status, body, _ = await send(client, vendor)
    assert shows_row(status, body, _outage_row(vendor))

    bad = "rules:\n  - name: oops\n    respond: {error: NOT_A_ROW_ANYWHERE}\n"
    resp = await client.put("/_mock/scenario", data=bad, headers={"Content-Type": "application/yaml"})
    assert resp.status == 400
    problems = (await resp.json())["problems"]
    assert problems and problems[0].startswith("<inline>:3:") and "rule oops" in problems[0]
    status, body, _ = await send(client, vendor)
    assert shows_row(status, body, _outage_row(vendor))  # the outage is still on

    resp = await client.put("/_mock/scenario", json={"name": "no-such-file"})
    assert resp.status == 400


async def test_put_inline_yaml_and_json(scenario_client):
    client = await scenario_client(None)
    vendor = vendor_of(client, VENDORS[0])
    resp = await client.put("/_mock/scenario", json={"yaml": "rules:\n  - respond: {status: 418, body: teapot}\n"})
    assert resp.status == 200
    assert (await send(client, vendor))[:2] == (418, b"teapot")
    resp = await client.put("/_mock/scenario", json={"rules": [{"respond": {"status": 451, "body": "gone"}}]})
    assert resp.status == 200
    assert (await send(client, vendor))[:2] == (451, b"gone")
    resp = await client.put("/_mock/scenario", json={"rules": []})
    assert (await send(client, vendor))[0] == 200


async def test_add_and_delete_a_rule(scenario_client):
    client = await scenario_client(None, files=("default",))
    vendor = vendor_of(client, VENDORS[0])
    resp = await client.post("/_mock/scenario/rules", json={"name": "teapot", "respond": {"status": 418, "body": "x"}})
    assert resp.status == 201
    rule_id = (await resp.json())["id"]
    assert (await send(client, vendor))[0] == 418
    state = await (await client.get("/_mock/scenario")).json()
    assert state["rules"][0]["id"] == rule_id and state["rules"][0]["hits"] == 1
    # YAML body, appended last: the earlier rule still wins.
    resp = await client.post("/_mock/scenario/rules?position=last", data="respond: {status: 500, body: y}\n")
    assert resp.status == 201
    assert (await send(client, vendor))[0] == 418
    assert (await client.delete(f"/_mock/scenario/rules/{rule_id}")).status == 200
    assert (await send(client, vendor))[0] == 500
    assert (await client.delete(f"/_mock/scenario/rules/{rule_id}")).status == 404
    bad = await client.post("/_mock/scenario/rules", json={"respond": {"error": "NOPE_NOT_A_ROW"}})
    assert bad.status == 400 and "NOPE_NOT_A_ROW" in (await bad.json())["problems"][0]
    assert (await client.post("/_mock/scenario/rules", data="[not: a rule")).status == 400


async def test_reset_restores_the_startup_scenario(scenario_client):
    client = await scenario_client(None, files=("default",))
    vendor = vendor_of(client, VENDORS[0])
    start = [r["id"] for r in (await (await client.get("/_mock/scenario")).json())["rules"]]
    await client.put("/_mock/scenario", json={"name": "outage"})
    await client.post("/_mock/scenario/rules", json={"respond": {"status": 418}})
    await client.post("/_mock/reset")
    state = await (await client.get("/_mock/scenario")).json()
    assert [r["id"] for r in state["rules"]] == start and state["sources"] == ["default.yaml"]
    assert (await send(client, vendor))[0] == 200


async def test_changes_under_concurrent_requests(scenario_client):
    client = await scenario_client(None)
    vendor = vendor_of(client, VENDORS[0])
    row = _outage_row(vendor)

    async def traffic():
        return [await send(client, vendor) for _ in range(10)]

    async def toggle():
        for i in range(10):
            if i % 2 == 0:
                await client.put("/_mock/scenario", json={"name": "outage"})
            else:
                await client.put("/_mock/scenario", json={"rules": []})
            await asyncio.sleep(0)

    results = await asyncio.gather(*(traffic() for _ in range(8)), toggle())
    answers = [a for batch in results[:-1] for a in batch]
    assert len(answers) == 80
    for status, body, _ in answers:  # each request saw one rule set: normal or the outage
        assert status == 200 or shows_row(status, body, row), (status, body)
    # The last change (no rules) applies to the next request.
    assert (await send(client, vendor))[0] == 200
    ids = await asyncio.gather(*(client.post("/_mock/scenario/rules", json={"delay": "1ms"}) for _ in range(20)))
    assert len({(await r.json())["id"] for r in ids}) == 20
    assert len(services(client).scenarios.rules) == 20
