"""Every operation of every vendor reaches the scenario gate (``Call.consult``) before it answers,
and the operations that send messages are the ones flagged ``Operation(sends=True)``."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from mockserver.app import SERVICES
from mockserver.http.routing import SERVED
from tests.contracts.test_responses import FLOWS

# The sending operations as the magic numbers knew them before the flag: every operation with
# send, resend or request as a word of its name. Written out, so that the flag is checked
# against the old rule's answer rather than against the old code.
SENDING_BEFORE_THE_FLAG = {
    ("ants", "send_sms"),
    ("ants", "otp_request"),
    ("ants", "otp_resend"),
    ("fpt", "send_sms"),
    ("fpt", "send_international"),
    ("fpt", "send_ads"),
    ("smartsmsbulk", "send_sms"),
    ("smartsmsbulk", "send_bulk"),
    ("smartsmsbulk", "otp_send"),
    ("thaibulksms", "send_sms"),
    ("thaibulksms", "otp_request"),
    ("thaibulksms", "otp_request_v1"),
    ("voiceotp", "otp_send"),
}
OLD_WORDS = {"send", "resend", "request"}


def operations(services) -> list[tuple[str, object]]:
    return [(v.name, op) for v in services.vendors.values() for m in v.mounts() for op in m.operations]


def test_sends_flag_marks_the_operations_the_name_rule_picked(make_app):
    services = make_app()[SERVICES]
    ops = operations(services)
    flagged = {(v, op.name) for v, op in ops if op.sends}
    by_name = {(v, op.name) for v, op in ops if OLD_WORDS & set(op.name.split("_"))}
    assert flagged >= SENDING_BEFORE_THE_FLAG  # nothing that sent before lost the flag
    # Operations added since (ANTS's old platform, ThaiBulkSMS's legacy API) are named like senders too.
    assert flagged == by_name


@dataclass
class Sent:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def record_accepted(app: web.Application) -> dict[tuple[str, str], Sent]:
    """The first request each (vendor, operation) answered normally (journal outcome ``ok``)."""
    first: dict[tuple[str, str], Sent] = {}
    services = app[SERVICES]

    @web.middleware
    async def record(request: web.Request, handler) -> web.StreamResponse:
        response = await handler(request)
        served = request.get(SERVED)
        if served is not None and services.store.requests and services.store.requests[-1].outcome == "ok":
            headers = {k: v for k, v in request.headers.items() if k not in ("Host", "Content-Length")}
            key = (served.vendor.name, served.operation.name)
            first.setdefault(key, Sent(request.method, request.path_qs, headers, await request.read()))
        return response

    app.middlewares.append(record)
    return first


async def test_every_operation_reaches_the_scenario_gate(aiohttp_client, make_app, receiver):
    """A rule per operation answers with its own body: replaying a request each operation accepted
    must get that body, so no handler answers (or acts) before it consults the engine."""
    app = make_app()
    accepted = record_accepted(app)
    client = await aiohttp_client(app)
    services = app[SERVICES]
    for flow in FLOWS.values():
        await flow(client, services, receiver.url)
    everything = {(v, op.name) for v, op in operations(services)}
    assert everything - set(accepted) == set()  # the flows got every operation to answer normally

    for vendor, operation in sorted(everything):
        rule = {
            "name": f"gate {vendor} {operation}",
            "match": {"vendor": vendor, "operation": operation},
            "respond": {"status": 418, "body": f"gate {vendor} {operation}"},
        }
        assert (await client.post("/_mock/scenario/rules", json=rule)).status == 201
    missed = []
    for (vendor, operation), sent in sorted(accepted.items()):
        async with client.request(
            sent.method, sent.path, headers=sent.headers, data=sent.body, allow_redirects=False
        ) as resp:
            answer = (resp.status, await resp.text())
        if answer != (418, f"gate {vendor} {operation}"):
            missed.append((vendor, operation, answer))
    assert missed == []
