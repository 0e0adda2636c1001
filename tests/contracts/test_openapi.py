"""OpenAPI 3.1 documents: valid, served under /_mock/openapi/, printed by the CLI, and the running
mock passes schemathesis against them (no 5xx, no answer outside its schema)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from mockserver.app import SERVICES, create_app
from mockserver.cli import main
from mockserver.contracts import openapi
from mockserver.contracts.openapi import fuzz_args

VENDORS = create_app(scenarios=[])[SERVICES].vendors
AUTH = {
    "thaibulksms": "c30eeef23eab29631ac350b6bd6ef6f9:aeb2a61fe2d4f97ff069ea7e030cb193",
    "ants": "demo:demo-ants-pass",
}


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_document_is_valid_openapi_3_1(name):
    document = openapi.build(VENDORS[name], "http://127.0.0.1:8080")
    validate(document)
    assert document["openapi"] == "3.1.0"
    mount = VENDORS[name].mounts()[0]
    assert document["servers"][0]["url"] == f"http://127.0.0.1:8080{mount.prefix}"
    assert {s["url"] for s in document["servers"][1:]} == {openapi.real_base(h) for h in mount.hosts}
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert operations == {op.name for m in VENDORS[name].mounts() for op in m.operations}
    assert "$ref" not in json.dumps(document)  # self-contained


def test_security_schemes_are_described():
    tbs = openapi.build(VENDORS["thaibulksms"])
    assert tbs["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http",
        "scheme": "basic",
        "description": "HTTP Basic: the account's credentials",
    }
    assert tbs["paths"]["/sms"]["post"]["security"] == [{"basicAuth": []}]
    otp = tbs["paths"]["/v2/otp/request"]["post"]
    assert otp["x-credentials-in-body"] is True and otp["servers"][1]["url"] == "https://otp.thaibulksms.com"
    smart = openapi.build(VENDORS["smartsmsbulk"])["paths"]["/api/v2/SendSMS"]["post"]
    assert "md5(str(userId)" in smart["x-checksum"] and "chksum" in smart["description"]
    assert smart["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]  # OK and ERR share HTTP 200
    assert "callbacks" in smart
    voice = openapi.build(VENDORS["voiceotp"])
    assert voice["servers"][1]["url"] == "http://210.211.108.20:8080"
    assert "text/plain" in voice["paths"]["/onsmsapivoice/postSMS"]["post"]["responses"]["200"]["content"]


async def test_served_document_names_the_mock_as_reached(aiohttp_client, make_app):
    client = await aiohttp_client(make_app())
    r = await client.get("/_mock/openapi/ants.json")
    assert r.status == 200
    document = await r.json()
    base = f"http://{client.server.host}:{client.server.port}"
    assert document == json.loads(json.dumps(openapi.build(VENDORS["ants"], base)))
    r = await client.get("/_mock/openapi/nope.json")
    assert r.status == 404
    index = await (await client.get("/_mock/openapi")).json()
    assert set(index["documents"]) == set(VENDORS)


def test_cli_prints_the_document(capsys):
    assert main(["openapi", "voiceotp", "--base", "http://mock:9"]) == 0
    document = json.loads(capsys.readouterr().out)
    validate(document)
    assert document["servers"][0]["url"] == "http://mock:9/voiceotp"
    assert main(["openapi", "nope"]) == 2


def _schemathesis() -> str:
    found = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    if not Path(found).exists():
        pytest.skip("schemathesis is not installed (pip install schemathesis)")
    return found


@pytest.mark.slow  # about 35 s
async def test_schemathesis_finds_no_5xx_and_no_answer_outside_its_schema(tmp_path):
    """A bounded run (10 examples per operation, fixed seed) of every vendor, every mount."""
    st = _schemathesis()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--port",
        "0",
        "--quiet",
        "--seed",
        "7",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        base = re.search(r"http://\S+", (await asyncio.wait_for(proc.stdout.readline(), 20)).decode())[0]
        failures = []
        for name, vendor in VENDORS.items():
            for mount in vendor.mounts():
                checks = "not_a_server_error,response_schema_conformance"
                args = fuzz_args(st, base, name, mount, examples=10, seed=1, checks=checks)
                if name in AUTH:
                    args += ["--auth", AUTH[name]]
                run = await asyncio.create_subprocess_exec(
                    *args, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
                )
                out, _ = await asyncio.wait_for(run.communicate(), 300)
                text = out.decode("utf-8", "replace")
                if run.returncode != 0:
                    failures.append(f"{name} {mount.prefix}: exit {run.returncode}\n{text[-3000:]}")
                else:
                    assert re.search(r"\d+ generated, \d+ passed", text), text[-2000:]
        assert not failures, "\n\n".join(failures)
    finally:
        proc.send_signal(2)
        await asyncio.wait_for(proc.communicate(), 20)
