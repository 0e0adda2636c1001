"""Strict mode: tolerated requests that break the documented contract are recorded and flagged."""

from __future__ import annotations

import asyncio
import re
import sys

from mockserver.app import SERVICES
from mockserver.contracts.strict import HEADER
from tests.smartsmsbulk.conftest import demo_account

from .test_responses import TBS, smart

BALANCE = "/smartsmsbulk/api/credit/CheckBalance"
SEND = "/smartsmsbulk/api/v2/SendSMS"


def now(client) -> int:
    return int(client.server.app[SERVICES].clock.now())


async def violations(client, **params) -> dict:
    answer = await client.get("/_mock/violations", params=params)
    assert answer.status == 200
    return await answer.json()


async def test_off_by_default_nothing_recorded_no_header(aiohttp_client, make_app):
    client = await aiohttp_client(make_app())
    assert client.server.app[SERVICES].contracts is None
    r = await client.post(BALANCE, json=smart("check_balance", {"timestamp": str(now(client))}))
    assert (await r.json())["status"] == "OK"  # the vendor tolerates a string timestamp
    assert HEADER not in r.headers
    assert await violations(client) == {"strict": False, "violations": [], "count": 0, "total": 0}


async def test_tolerated_breaks_are_violations_with_field_expected_got(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(strict=True))
    r = await client.post(
        BALANCE, json=smart("check_balance", {"timestamp": str(now(client))}), headers={"X-Request-Id": "ci-42"}
    )
    assert (await r.json())["status"] == "OK"  # the answer itself is unchanged
    assert r.headers[HEADER].startswith('1; request=ci-42; body.timestamp: expected integer, got "')
    found = await violations(client)
    [v] = found["violations"]
    assert (v["vendor"], v["operation"], v["field"], v["expected"], v["request_id"], v["location"]) == (
        "smartsmsbulk",
        "check_balance",
        "timestamp",
        "integer",
        "ci-42",
        "body",
    )
    assert v["got"].endswith("(string)") and v["account"] == "42"

    # an undocumented phone format and an unknown field, on a send the vendor accepts
    r = await client.post(
        SEND, json={**smart("send_sms", {"phoneNo": "0852262236", "senderId": 25, "message": "hi"}), "extra": 1}
    )
    assert (await r.json())["status"] == "OK"
    fields = {v["field"]: v for v in (await violations(client, operation="send_sms"))["violations"]}
    assert set(fields) == {"phoneNo", "extra"}
    assert "66[689]" in fields["phoneNo"]["expected"] and fields["phoneNo"]["got"] == '"0852262236" (string)'
    assert fields["extra"]["message"] == "unknown field 'extra'"


async def test_refused_and_clean_requests_are_not_violations(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(strict=True))
    r = await client.post(BALANCE, json={"userId": 42, "partnerId": 21, "timestamp": "x", "chksum": "0" * 32})
    assert (await r.json())["detail"] == "Invalid checksum"  # the vendor's own error, as before
    r = await client.post(BALANCE, json=smart("check_balance", {"timestamp": now(client)}))
    assert HEADER not in r.headers
    assert (await violations(client))["total"] == 0


async def test_form_and_query_are_checked(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(strict=True))
    r = await client.post(
        "/thaibulksms/sms",
        headers={"Authorization": TBS},
        data={"msisdn": "0812345678", "message": "hi", "sender": "Demo", "force": "Corporate"},
    )
    assert r.status == 200  # "Corporate" is tolerated (any case); the document says corporate
    r = await client.get("/thaibulksms/credit", headers={"Authorization": TBS}, params={"verbose": "1"})
    assert r.status == 200
    found = {(v["operation"], v["location"], v["field"]) for v in (await violations(client))["violations"]}
    assert found == {("send_sms", "body", "force"), ("credit", "query", "verbose")}


async def test_strict_per_vendor_and_per_account_in_the_config(aiohttp_client, make_app):
    config = {
        "vendors": {
            "smartsmsbulk": {
                "accounts": [
                    demo_account(creditBalance=10, strict=True),
                    {
                        "userId": 6,
                        "partnerId": 2,
                        "apiKey": "demo-smartsmsbulk-key-6",
                        "senderIds": [40],
                        "creditBalance": 10,
                    },
                ]
            },
            "thaibulksms": {
                "strict": True,
                "accounts": [
                    {
                        "api_key": "c30eeef23eab29631ac350b6bd6ef6f9",
                        "api_secret": "aeb2a61fe2d4f97ff069ea7e030cb193",
                        "senders": ["Demo"],
                    }
                ],
            },
        }
    }
    client = await aiohttp_client(make_app(config))
    ts = str(now(client))
    await client.post(BALANCE, json=smart("check_balance", {"timestamp": ts}))
    other = {"userId": 6, "partnerId": 2, "timestamp": ts}
    from tests.smartsmsbulk.signing import checksum

    r = await client.post(
        BALANCE, json={**other, "chksum": checksum("check_balance", other, "demo-smartsmsbulk-key-6")}
    )
    assert (await r.json())["status"] == "OK" and HEADER not in r.headers  # account 6 is not strict
    await client.get("/thaibulksms/credit", headers={"Authorization": TBS}, params={"x": "1"})
    await client.post(
        "/ants/sms/preview",
        headers={"Authorization": "Basic ZGVtbzpkZW1vLWFudHMtcGFzcw=="},
        json={"message": "hi", "extra": 1},
    )  # ANTS is not strict
    found = await violations(client)
    assert {(v["vendor"], v["account"]) for v in found["violations"]} == {
        ("smartsmsbulk", "42"),
        ("thaibulksms", "c30eeef23eab29631ac350b6bd6ef6f9"),
    }
    assert found["strict"]["vendors"] == ["thaibulksms"]


async def test_reset_empties_the_list_but_not_the_total(aiohttp_client, make_app):
    client = await aiohttp_client(make_app(strict=True))
    await client.post(BALANCE, json=smart("check_balance", {"timestamp": str(now(client))}))
    await client.post("/_mock/reset")
    found = await violations(client)
    assert found["count"] == 0 and found["total"] == 1


async def test_serve_fail_on_violation_exits_non_zero(tmp_path):
    """The real command: a CI job fails when the app under test broke the contract."""
    import aiohttp

    async def run(send_bad: bool) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mockserver",
            "serve",
            "--port",
            "0",
            "--quiet",
            "--fail-on-violation",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        base = re.search(r"http://\S+", line)[0]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/_mock/clock") as r:
                ts = int((await r.json())["now"])
            body = smart("check_balance", {"timestamp": str(ts) if send_bad else ts})
            async with session.post(f"{base}{BALANCE}", json=body) as r:
                assert (await r.json())["status"] == "OK"
        proc.send_signal(2)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
        return proc.returncode, err.decode()

    code, err = await run(send_bad=True)
    assert code == 1 and "1 contract violation(s) recorded" in err and "timestamp" in err
    code, err = await run(send_bad=False)
    assert code == 0, err
