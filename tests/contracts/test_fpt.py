"""FPT SMS Brandname's contracts: the ``accepts`` parts describe what the mock really takes, and
strict mode flags the tolerated breaks of the seed's contract (Quota as a digit string, the token
in a Bearer header instead of the body, a form-encoded token request with an unknown field)."""

from __future__ import annotations

from mockserver.app import SERVICES
from mockserver.contracts import schemas as contracts
from mockserver.contracts.strict import HEADER

from .conftest import capture
from .seed_examples import FPT_CONTRADICTIONS
from .test_responses import FPT_CLIENT, b64, fpt_flow, fpt_schedule

AUTH = {"access_token": "demo-fpt-access-token", "session_id": "abcde"}


async def test_every_request_fpt_accepted_fits_its_accepts_schema(aiohttp_client, make_app, receiver):
    app = make_app()
    seen = capture(app)
    client = await aiohttp_client(app)
    services = app[SERVICES]
    await fpt_flow(client, services, receiver.url)
    # the tolerated forms: Quota as digits (the seed's own example), a JSON-number phone, the
    # token in a Bearer header only
    campaign = {
        **AUTH,
        "CampaignName": "digits",
        "BrandName": "FTI",
        "Message": "x",
        "ScheduleTime": fpt_schedule(services, 2),
        "Quota": "15000",
    }
    r = await client.post("/fpt/api/create-campaign", json=campaign)
    assert r.status == 200
    r = await client.post(
        "/fpt/api/push-brandname-otp",
        headers={"Authorization": "Bearer demo-fpt-access-token"},
        json={"session_id": "abcde", "BrandName": "FTI", "Phone": 84912345678, "Message": b64("số")},
    )
    assert r.status == 200

    vendor = services.vendors["fpt"]
    accepted = [(c.operation, c.request_body) for c in seen if c.vendor.name == "fpt" and c.status == 200]
    assert {op for op, _ in accepted} == {op.name for m in vendor.mounts() for op in m.operations}
    for operation, body in accepted:
        oc = contracts.operation(vendor, operation)
        assert oc.problems("accepts", body) == [], (operation, body)
    # and the accepts parts are looser than the documented requests, never stricter
    documented = [(op, body) for op, body in accepted if contracts.operation(vendor, op).valid("request", body)]
    assert documented and len(documented) < len(accepted)


async def test_strict_flags_fpt_tolerances_per_account(aiohttp_client, make_app):
    account = {
        **FPT_CLIENT,
        "brandnames": ["FTI"],
        "strict": True,
        "tokens": [{"access_token": "t-strict", "session_id": "abcde"}],
    }
    client = await aiohttp_client(make_app({"vendors": {"fpt": {"accounts": [account]}}}))
    services = client.server.app[SERVICES]
    assert services.contracts.describe()["accounts"] == [{"vendor": "fpt", "account": FPT_CLIENT["client_id"]}]
    auth = {"access_token": "t-strict", "session_id": "abcde"}

    # a clean send by the seed's contract: no violation, no header
    r = await client.post(
        "/fpt/api/push-brandname-otp", json={**auth, "BrandName": "FTI", "Phone": "0949123456", "Message": b64("hi")}
    )
    assert r.status == 200 and HEADER not in r.headers

    r = await client.post(
        "/fpt/api/create-campaign",
        json={
            **auth,
            "CampaignName": "c",
            "BrandName": "FTI",
            "Message": "x",
            "ScheduleTime": fpt_schedule(services),
            "Quota": "15000",
        },
    )
    assert r.status == 200  # tolerated, as the seed's own example sends it
    assert 'body.Quota: expected integer, got "15000" (string)' in r.headers[HEADER]

    r = await client.post(
        "/fpt/api/push-brandname-otp",
        headers={"Authorization": "Bearer t-strict"},
        json={"session_id": "abcde", "BrandName": "FTI", "Phone": "0949123457", "Message": b64("hi")},
    )
    assert r.status == 200 and "access_token" in r.headers[HEADER]

    r = await client.post(
        "/fpt/oauth2/token",
        data={
            **FPT_CLIENT,
            "grant_type": "client_credentials",
            "scope": "send_brandname_otp",
            "session_id": "s",
            "state": "x",
        },
    )
    assert r.status == 200 and "state" in r.headers[HEADER]

    r = await client.post(
        "/fpt/api/push-brandname-otp", json={**auth, "BrandName": "NOPE", "Phone": "0949123456", "Message": b64("hi")}
    )
    assert r.status == 400 and HEADER not in r.headers  # refused: the vendor's own error, not a violation

    found = await (await client.get("/_mock/violations", params={"vendor": "fpt"})).json()
    assert {(v["operation"], v["field"]) for v in found["violations"]} == {
        ("create_campaign", "Quota"),
        ("send_sms", "access_token"),
        ("token", "state"),
    }
    assert {v["account"] for v in found["violations"]} == {FPT_CLIENT["client_id"]}


def test_seed_examples_that_contradict_the_seed_tables_are_caught():
    """Where the seed's example quotes an Int of its table (or misspells a key), the schema follows
    the table, so recorded real traffic of that shape shows up in the drift report."""
    from mockserver.vendors.fpt import VENDOR

    for operation, body, field in FPT_CONTRADICTIONS:
        kind, problems = contracts.operation(VENDOR, operation).classify(body)
        assert kind is None and field in {p.field for p in problems}, (operation, problems)
