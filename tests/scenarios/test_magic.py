"""Magic recipients: every number of the generated table gives its row or its delivery outcome,
for every mounted vendor."""

from __future__ import annotations

from mockserver.cli import main
from mockserver.engine.scenarios import MAGIC_CONCERNS, magic_numbers

from .conftest import messages, send, services, shows_row


async def test_every_magic_number_gives_its_outcome(scenario_client):
    client = await scenario_client(None, files=("default",), frozen_clock=True)
    vendors = services(client).vendors
    table = magic_numbers(vendors.values())
    assert {m.vendor for m in table} == set(vendors)
    delivery = []
    for magic in table:
        vendor = vendors[magic.vendor]
        status, body, _ = await send(client, vendor, magic.number)
        if magic.row is not None:
            assert shows_row(status, body, magic.row), (magic, status, body)
        else:
            assert status == 200, (magic, body)
            delivery.append((magic, messages(client)[-1]))
    await client.post("/_mock/clock", json={"advance": "1h"})
    for magic, message in delivery:
        expected = "sent" if magic.outcome == "pending" else magic.outcome
        assert message.status == expected and message.recipient.endswith(magic.number[-6:]), (magic, message.status)
    # An ordinary number is accepted and delivered.
    for vendor in vendors.values():
        status, body, _ = await send(client, vendor, vendor.sample_recipient(500))
        assert status == 200 and not any(
            m.row is not None and shows_row(status, body, m.row) for m in table if m.vendor == vendor.name
        )


def test_one_number_per_recipient_or_send_row_and_all_distinct(make_app):
    vendors = make_app(scenarios=[])
    from mockserver.app import SERVICES

    found = vendors[SERVICES].vendors
    table = magic_numbers(found.values())
    for vendor in found.values():
        rows = [r.name for r in vendor.errors if r.concerns in MAGIC_CONCERNS]
        mine = [m for m in table if m.vendor == vendor.name]
        assert [m.outcome for m in mine if m.kind == "error"] == rows
        assert {m.outcome for m in mine if m.kind == "delivery"} == {"failed", "expired", "pending", "rejected"}
        assert len({m.number for m in mine}) == len(mine)


def test_magic_command_prints_the_table(capsys):
    assert main(["magic"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| vendor | recipient |")
    from mockserver.app import SERVICES, create_app

    vendors = create_app(scenarios=[])[SERVICES].vendors.values()
    for magic in magic_numbers(vendors):
        assert f"`{magic.number}`" in out and magic.outcome in out
