"""Every operation of every vendor has a contract, and the seeds' own examples fit it."""

from __future__ import annotations

import json

import pytest

from mockserver.app import SERVICES, create_app
from mockserver.contracts import schemas as contracts
from mockserver.vendors import discover

from .seed_examples import CALLBACKS, RESPONSES

VENDORS = {v.name: v for v in discover()}


def _operations():
    app = create_app(scenarios=[])
    for vendor in app[SERVICES].vendors.values():
        for mount in vendor.mounts():
            for op in mount.operations:
                yield vendor, op


@pytest.mark.parametrize(("vendor", "op"), list(_operations()), ids=lambda x: getattr(x, "name", ""))
def test_every_operation_has_a_compiled_contract(vendor, op):
    oc = contracts.operation(vendor, op.name)
    assert oc.has("success")
    assert oc.has("error"), "every operation documents its error answer"
    if op.method == "POST":
        assert oc.has("request"), "a POST documents its body"
    assert oc.meta("security") in ("basic", "bearer", "checksum", "body", "none")
    assert oc.meta("error-key", {}).get("table") in ("name", "code", "message", "none")


def test_no_schema_file_without_an_operation():
    ops = {(v.name, op.name) for v, op in _operations()}
    for name, vendor in VENDORS.items():
        for op_name in contracts.for_vendor(vendor).operations:
            assert (name, op_name) in ops, f"{name}/schemas/operations/{op_name}.json names no operation"


def test_every_schema_file_is_draft_2020_12():
    from jsonschema import Draft202012Validator

    for vendor in VENDORS.values():
        for doc_id, document in contracts.for_vendor(vendor).documents.items():
            assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema", doc_id
            Draft202012Validator.check_schema(document)


@pytest.mark.parametrize(
    ("vendor", "operation", "kind", "body"), RESPONSES, ids=lambda x: x if isinstance(x, str) and len(x) < 20 else ""
)
def test_seed_example_responses_fit(vendor, operation, kind, body):
    oc = contracts.operation(VENDORS[vendor], operation)
    assert oc.problems(kind, body) == []
    assert oc.classify(body)[0] == kind


@pytest.mark.parametrize(("vendor", "operation", "body"), CALLBACKS, ids=lambda x: x if isinstance(x, str) else "")
def test_seed_example_callbacks_fit(vendor, operation, body):
    assert contracts.operation(VENDORS[vendor], operation).problems("callback", body) == []


def test_problems_name_the_field_the_expectation_and_what_came():
    oc = contracts.operation(VENDORS["smartsmsbulk"], "check_balance")
    found = oc.problems(
        "request", {"userId": 6, "partnerId": 2, "timestamp": "1763321555", "chksum": "0" * 32, "extra": 1}
    )
    by_field = {p.field: p for p in found}
    assert by_field["timestamp"].expected == "integer"
    assert by_field["timestamp"].got == '"1763321555" (string)'
    assert by_field["extra"].message == "unknown field 'extra'"
    assert "documented: chksum, partnerId, timestamp, userId" in by_field["extra"].expected


def test_a_changed_answer_is_caught():
    """The schemas are strict enough to notice a renamed key or a changed type."""
    oc = contracts.operation(VENDORS["thaibulksms"], "send_sms")
    good = json.loads(json.dumps(RESPONSES[13][3]))
    assert oc.classify(good)[0] == "success"
    good["phone_number_list"][0]["used_credit"] = "1"
    kind, problems = oc.classify(good)
    assert kind is None and problems[0].field == "phone_number_list[0].used_credit"
