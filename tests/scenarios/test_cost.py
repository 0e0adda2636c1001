"""The per-request cost stays low when no rule concerns a request: candidates are computed once
per (vendor, operation) and an ordinary recipient skips the magic rules with one set test."""

from __future__ import annotations

from .conftest import send, services


async def test_ordinary_requests_touch_no_rule(scenario_client):
    client = await scenario_client(None, files=("default",))
    engine = services(client).scenarios
    for vendor in services(client).vendors.values():
        for _ in range(3):
            assert (await send(client, vendor))[0] == 200
    assert all(rule.matches == 0 for rule in engine.rules)
    for (vendor, _operation), cands in engine._request.items():
        assert all(r.vendors is None or vendor in r.vendors for r in cands.rules)
        assert cands.gate is not None  # only magic rules: one set intersection decides
    # Operations that never carry a recipient have no candidates at all.
    for vendor in services(client).vendors.values():
        for mount in vendor.mounts():
            for op in mount.operations:
                if not op.sends:
                    assert not engine._candidates({}, vendor.name, op.name, "request").rules


async def test_candidates_follow_runtime_changes(scenario_client):
    client = await scenario_client(None, files=("default",))
    vendor = next(iter(services(client).vendors.values()))
    await send(client, vendor)
    resp = await client.post(
        "/_mock/scenario/rules", json={"match": {"vendor": vendor.name}, "respond": {"status": 418}}
    )
    assert resp.status == 201
    assert (await send(client, vendor))[0] == 418
