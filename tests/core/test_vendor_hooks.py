"""Every vendor that ``discover()`` finds implements the hooks the shared tooling builds on: the
stress test, the benchmark and the soak send ``load_sends`` to ``load_recipient`` numbers with a
``without_limits`` config and reconcile ``credit_left``. A new vendor that forgets one fails here,
in seconds, rather than in a slow run."""

from __future__ import annotations

import pytest

from mockserver.app import SERVICES
from mockserver.bundled import build_config
from mockserver.vendors import discover

CREDIT = 10**6
VENDORS = [v.name for v in discover()]


def unlimited() -> dict:
    sections = build_config(None).data["vendors"]
    return {"vendors": {v.name: v.without_limits(sections[v.name], CREDIT) for v in discover()}}


@pytest.mark.parametrize("name", VENDORS)
async def test_load_sends_are_accepted_distinct_and_paid_for(name, aiohttp_client, make_app):
    app = make_app(unlimited(), scenarios=None)  # the default scenario: its magic numbers must not be hit
    client = await aiohttp_client(app)
    services = app[SERVICES]
    vendor = services.vendors[name]
    start = vendor.credit_left()
    assert start in (None, CREDIT), "without_limits gives the load account its credit"

    loads = vendor.load_sends()
    assert loads, "a vendor has at least its main send"
    for load in loads:
        samples = [load.make(n) for n in range(3)]
        assert len({s.body for s in samples}) == 3, f"{load.label}: request n differs from every other n"
        for sample in samples:
            async with client.request(sample.method, sample.path, data=sample.body, headers=dict(sample.headers)) as r:
                assert r.status == 200, (load.label, await r.text())
    assert [r.outcome for r in services.store.requests] == ["ok"] * sum(3 for _ in loads)

    # The first load send is one request, one message, to load_recipient(n).
    journal = list(services.store.messages.values())
    main = journal[:3]
    assert [m.recipient.lstrip("+") for m in main] == [vendor.load_recipient(n) for n in range(3)]
    magic = {vendor.sample_recipient(n) for n in range(1000)}
    assert not magic & {vendor.load_recipient(n) for n in (0, 1, 999_999)}
    if start is not None:
        assert start - vendor.credit_left() == pytest.approx(sum(m.credits for m in journal))
