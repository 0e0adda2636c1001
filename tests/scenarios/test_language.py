"""The rule language, observed through real requests: match keys, when a rule applies,
sequences, raw and error answers, delays, delivery and callback plans, rate limits."""

from __future__ import annotations

import time

import pytest

from mockserver.core.randomness import Randomness
from mockserver.engine.scenarios import Delay, phone_key, resolve_error

from .conftest import VENDORS, messages, send, services, shows_row, vendor_of

pytestmark = pytest.mark.parametrize("vendor_name", VENDORS)


def _internal(vendor):
    return vendor.errors[vendor.generic_errors["internal"]]


async def _first_message(client, vendor):
    """Send once normally and return the journaled message (its account, sender, recipient)."""
    status, _, _ = await send(client, vendor)
    assert status == 200
    return messages(client)[-1]


async def _outcomes(client, vendor, count, **kw):
    out = []
    for _ in range(count):
        status, body, _ = await send(client, vendor, **kw)
        out.append(shows_row(status, body, _internal(vendor)))
    return out


async def test_each_match_key_must_hold(scenario_client, vendor_name):
    client = await scenario_client(None)
    vendor = vendor_of(client, vendor_name)
    message = await _first_message(client, vendor)
    engine = services(client).scenarios
    op = message.operation
    cases = [
        ({"vendor": vendor_name}, {"vendor": "no-such-vendor"}),
        ({"operation": op}, {"operation": "check_balance_nope"}),
        ({"account": message.account}, {"account": "not-" + message.account}),
        ({"recipient": [vendor.sample_recipient(500)]}, {"recipient": [vendor.sample_recipient(501)]}),
        ({"recipient_regex": ".*" + vendor.sample_recipient(500)[-3:]}, {"recipient_regex": ".*999"}),
        ({"text": "."}, {"text": "^Goodbye$"}),  # Voice OTP's text is the digits it reads out
        ({"header": {"X-Case": "yes"}}, {"header": {"X-Case": "no"}}),
    ]
    if message.sender is not None:
        cases.append(({"sender": message.sender}, {"sender": "not-" + message.sender}))
    for hit, miss in cases:
        engine.install([], [])
        engine.add({"name": "miss", "match": miss, "respond": {"error": "@internal"}})
        status, body, _ = await send(client, vendor, headers={"X-Case": "yes"})
        assert status == 200 and not shows_row(status, body, _internal(vendor)), miss
        engine.add({"name": "hit", "match": hit, "respond": {"error": "@internal"}})
        status, body, _ = await send(client, vendor, headers={"X-Case": "yes"})
        assert shows_row(status, body, _internal(vendor)), hit


async def test_after_and_times(scenario_client, vendor_name):
    client = await scenario_client(
        """
        rules:
          - name: third and fourth
            after: 2
            times: 2
            respond: {error: "@internal"}
        """
    )
    vendor = vendor_of(client, vendor_name)
    assert await _outcomes(client, vendor, 6) == [False, False, True, True, False, False]


async def test_sequence_then_last_repeats(scenario_client, vendor_name):
    client = await scenario_client(
        """
        rules:
          - name: fail twice then recover
            sequence:
              - {error: "@internal"}
              - {status: 503, body: {"down": true}, headers: {Retry-After: "1"}}
              - {pass: true}
        """
    )
    vendor = vendor_of(client, vendor_name)
    first = await send(client, vendor)
    assert shows_row(first[0], first[1], _internal(vendor))
    status, body, headers = await send(client, vendor)
    assert (status, body, headers["Retry-After"]) == (503, b'{"down": true}', "1")
    assert headers["Content-Type"].startswith("application/json")
    for _ in range(3):
        assert (await send(client, vendor))[0] == 200 and len(services(client).store.messages) >= 1


async def test_sequence_cycle(scenario_client, vendor_name):
    client = await scenario_client(
        """
        rules:
          - name: every other
            cycle: true
            sequence: [{error: "@internal"}, {pass: true}]
        """
    )
    assert await _outcomes(client, vendor_of(client, vendor_name), 5) == [True, False, True, False, True]


async def test_probability_is_repeatable_with_the_seed(scenario_client, vendor_name):
    text = """
        rules:
          - name: a third
            probability: 0.33
            respond: {error: "@internal"}
        """
    runs = []
    for seed in (7, 7, 8):
        client = await scenario_client(text, seed=seed)
        runs.append(await _outcomes(client, vendor_of(client, vendor_name), 40))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert 4 <= sum(runs[0]) <= 24
    # /_mock/reset restarts the sequence: the same hits again.
    client_services = services(client)
    await client.post("/_mock/reset")
    assert await _outcomes(client, vendor_of(client, vendor_name), 40) == runs[2]
    assert client_services.scenarios.rules[0].hits == sum(runs[2])


async def test_fixed_delay_before_the_answer(scenario_client, vendor_name):
    client = await scenario_client(
        """
        rules:
          - name: slow
            delay: 250ms
        """
    )
    started = time.monotonic()
    status, _, _ = await send(client, vendor_of(client, vendor_name))
    assert status == 200 and time.monotonic() - started >= 0.24


async def test_error_by_name_or_code_with_detail(scenario_client, vendor_name):
    client = await scenario_client(None)
    vendor = vendor_of(client, vendor_name)
    engine = services(client).scenarios
    for row in vendor.errors:
        for ref in {row.name, *([str(row.code)] if row.code is not None else [])}:
            if vendor.errors.find(ref) is not row:
                continue  # a code shared by several rows names the first
            engine.install([], [])
            engine.add({"match": {"vendor": vendor_name}, "respond": {"error": ref}})
            status, body, _ = await send(client, vendor)
            assert shows_row(status, body, row), (ref, status, body)
    engine.install([], [])
    row = _internal(vendor)
    engine.add({"respond": {"error": row.name, "detail": "custom detail text"}})
    status, body, _ = await send(client, vendor)
    assert shows_row(status, body, row, "custom detail text")


async def test_rate_limit_per_account_on_the_clock(scenario_client, vendor_name):
    client = await scenario_client(
        """
        rules:
          - name: three a second
            rate_limit: {rps: 3}
        """,
        frozen_clock=True,
    )
    vendor = vendor_of(client, vendor_name)
    limit_row = resolve_error(vendor, "@rate_limited")
    answers = [await send(client, vendor) for _ in range(5)]
    assert [a[0] == 200 and not shows_row(a[0], a[1], limit_row) for a in answers] == [True, True, True, False, False]
    assert all(shows_row(a[0], a[1], limit_row) for a in answers[3:])
    await client.post("/_mock/clock", json={"advance": "1s"})
    answers = [await send(client, vendor) for _ in range(4)]
    assert [shows_row(a[0], a[1], limit_row) for a in answers] == [False, False, False, True]
    rule = services(client).scenarios.rules[0]
    assert (rule.matches, rule.hits) == (9, 3)


async def test_rate_limit_with_a_given_status(scenario_client, vendor_name):
    client = await scenario_client(
        """
        rules:
          - name: one a second
            rate_limit:
              rps: 1
              per: vendor
              respond: {status: 429, body: "slow down", headers: {Retry-After: "1"}}
        """,
        frozen_clock=True,
    )
    vendor = vendor_of(client, vendor_name)
    assert (await send(client, vendor))[0] == 200
    status, body, headers = await send(client, vendor)
    assert (status, body, headers["Retry-After"]) == (429, b"slow down", "1")


async def test_delivery_outcome_and_timing(scenario_client, vendor_name):
    client = await scenario_client(None, frozen_clock=True)
    vendor = vendor_of(client, vendor_name)
    services(client).scenarios.add(
        {
            "match": {"recipient": [vendor.sample_recipient(777)]},
            "delivery": {"status": "failed", "after": "5m", "code": "X42"},
        }
    )
    await send(client, vendor, vendor.sample_recipient(777))
    await send(client, vendor, vendor.sample_recipient(778))
    failing, normal = messages(client)[-2:]
    await client.post("/_mock/clock", json={"advance": "2s"})
    assert normal.status == "delivered" and failing.status == "sent"
    await client.post("/_mock/clock", json={"advance": "5m"})
    assert failing.status == "failed" and failing.final.get("code") == "X42"


async def test_delivery_follows_the_requests_header(scenario_client, vendor_name):
    client = await scenario_client(
        """
        rules:
          - name: this test's messages fail
            match: {header: {X-Test-Case: failing}}
            delivery: {status: failed}
        """,
        frozen_clock=True,
    )
    vendor = vendor_of(client, vendor_name)
    await send(client, vendor, headers={"X-Test-Case": "failing"})
    await send(client, vendor)
    await send(client, vendor, headers={"X-Test-Case": "other"})
    await client.post("/_mock/clock", json={"advance": "10s"})
    assert [m.status for m in messages(client)[-3:]] == ["failed", "delivered", "delivered"]


async def test_callback_plan_for_matching_messages(scenario_client, vendor_name):
    # Matched by recipient: every vendor journals the number it was given (Voice OTP's text is
    # the digits it reads out, not the sample text).
    client = await scenario_client(None)
    vendor = vendor_of(client, vendor_name)
    dup_to, lost_to, plain_to = (vendor.sample_recipient(n) for n in (510, 511, 512))
    engine = services(client).scenarios
    engine.install([], [])
    engine.add(
        {
            "name": "late duplicated reports",
            "match": {"recipient": [dup_to]},
            "callback": {"delay": "2s", "duplicate": 2, "reorder": True},
        }
    )
    engine.add({"name": "lost reports", "match": {"recipient": [lost_to]}, "callback": {"drop": True}})
    for number in (dup_to, lost_to, plain_to):
        status, _, _ = await send(client, vendor, recipient=number)
        assert status == 200
    dup, lost, plain = messages(client)[-3:]
    plan = engine.callback_for(dup)
    assert (plan.delay, plan.duplicate, plan.drop, plan.reorder) == (2.0, 2, False, True)
    assert engine.callback_for(lost).drop is True
    assert engine.callback_for(plain) is None


def test_distributions_are_seeded(vendor_name):
    lognormal = Delay.parse({"lognormal": {"median": "800ms", "sigma": 0.5}})
    a, b = Randomness(5), Randomness(5)
    first = [lognormal.sample(a) for _ in range(2001)]
    assert first == [lognormal.sample(b) for _ in range(2001)]
    median = sorted(first)[1000]
    assert 0.72 <= median <= 0.88
    uniform = Delay.parse({"uniform": {"min": "100ms", "max": "300ms"}})
    values = [uniform.sample(a) for _ in range(500)]
    assert min(values) >= 0.1 and max(values) <= 0.3 and max(values) - min(values) > 0.15
    assert Delay.parse("1m30s").sample(a) == 90.0
    capped = Delay.parse({"lognormal": {"median": "1s", "sigma": 3, "max": "2s"}})
    assert max(capped.sample(a) for _ in range(200)) == 2.0


def test_phone_key_sees_one_number_in_its_forms(vendor_name):
    assert phone_key("0812345678") == phone_key("66812345678") == phone_key("+66 81 234 5678") == "812345678"
    assert phone_key("84912345678") == phone_key("0912345678")
