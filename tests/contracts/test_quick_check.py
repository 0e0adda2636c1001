"""``_quick_check`` (contracts/schemas.py), the plain-Python shortcut for the simplest schemas, gives
jsonschema's verdict on every document: on the schemas it is used for, and on generated schemas of
the shape it claims (and of shapes just outside it, where it must step aside and return None).

It answers only valid / not valid; the problems a developer reads always come from jsonschema
(``OperationContract.problems``), so there are no error paths to compare.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.contracts import schemas
from mockserver.vendors import discover

QUICK_TYPES = ["string", "object", "array", "boolean"]  # what _quick_check claims to handle
OTHER_TYPES = ["integer", "number", "null"]
NOTES = {"description": "a note", "title": "A", "$comment": "why", "examples": ["x"]}  # annotations only


def schemas_in_use() -> list[tuple[str, dict[str, Any]]]:
    """Every compiled contract part that the request path checks with ``_quick_check``."""
    found = []
    for vendor in discover():
        contract = schemas.for_vendor(vendor)
        for name, operation in contract.operations.items():
            for part, schema in operation.parts.items():
                resolved = contract.resolve(schema, operation.document["$id"])
                if schemas._quick_check(resolved) is not None:
                    found.append((f"{vendor.name}/{name}/{part}", resolved))
    return found


IN_USE = schemas_in_use()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["", "0", "1", "true", "66812345678"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3), st.tuples()
    ),
    max_leaves=6,
).map(lambda v: [] if v == () else v)


def value_of(type_name: str) -> st.SearchStrategy[Any]:
    """A value of the JSON type ``type_name`` (for documents that should mostly pass)."""
    return {
        "string": st.text(max_size=8),
        "object": st.dictionaries(st.text(max_size=4), scalars, max_size=3),
        "array": st.lists(scalars, max_size=3),
        "boolean": st.booleans(),
        "integer": st.integers(),
        "number": st.floats(allow_nan=False),
        "null": st.none(),
    }[type_name]


any_type = st.sampled_from([*QUICK_TYPES, *OTHER_TYPES]).flatmap(value_of)


@st.composite
def documents(draw, schema: dict[str, Any]) -> Any:
    """Valid-ish and invalid documents for ``schema``: the right fields with the right types, then
    some removed, retyped or added; or not an object at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values.filter(lambda v: not isinstance(v, dict)))
    properties = schema.get("properties") or {}
    names = sorted({*properties, *(schema.get("required") or [])})
    doc: dict[str, Any] = {}
    for name in names:
        prop = properties.get(name, {})
        type_name = prop.get("type") if isinstance(prop.get("type"), str) else "string"
        retyped = draw(st.integers(0, 2)) == 0  # 1 in 3: a value of any JSON type
        doc[name] = draw(any_type if retyped else value_of(type_name))
    for name in draw(st.lists(st.sampled_from(names), max_size=2)) if names else []:
        doc.pop(name, None)  # a missing field
    extra = draw(st.dictionaries(st.sampled_from(["extra", "tag", "msisdn ", "", "Message"]), json_values, max_size=2))
    return {**extra, **doc} if draw(st.booleans()) else {**doc, **extra}


@st.composite
def quick_schemas(draw) -> dict[str, Any]:
    """Object schemas of the shape ``_quick_check`` handles, sometimes with one keyword it does not."""
    names = draw(st.lists(st.sampled_from(["msisdn", "message", "sender", "a", "b", "tag"]), unique=True, max_size=4))
    properties = {}
    for name in names:
        prop: dict[str, Any] = {"type": draw(st.sampled_from(QUICK_TYPES))}
        if draw(st.integers(0, 3)) == 0:
            note = draw(st.sampled_from(sorted(NOTES)))
            prop[note] = NOTES[note]
        properties[name] = prop
    schema: dict[str, Any] = {"type": "object"}
    if properties or draw(st.booleans()):
        schema["properties"] = properties
    required = draw(st.lists(st.sampled_from([*names, "elsewhere"]), unique=True, max_size=3))
    if required:
        schema["required"] = required
    if draw(st.booleans()):
        schema["description"] = "a note"
    outside = draw(st.integers(0, 11))  # half the schemas: one keyword outside
    if outside == 0:
        schema["additionalProperties"] = False
    elif outside == 1 and names:
        properties[names[0]] = {"type": draw(st.sampled_from(OTHER_TYPES))}
    elif outside == 2 and names:
        properties[names[0]] = {"type": ["string", "null"]}
    elif outside == 3 and names:
        properties[names[0]] = {"type": "string", draw(st.sampled_from(["minLength", "maxLength"])): 2}
    elif outside == 4 and names:
        properties[names[0]] = {"type": "string", "enum": ["a", "b"]}
    elif outside == 5 and names:
        properties[names[0]] = {"type": "string", "pattern": "^[0-9]+$"}
    return schema


def agrees(schema: dict[str, Any], documents: list[Any]) -> None:
    quick = schemas._quick_check(schema)
    if quick is not None:
        validator = Draft202012Validator(schema)
        for document in documents:
            assert quick(document) == validator.is_valid(document), (schema, document)


def test_the_shortcut_is_used_where_the_tests_below_look():
    assert "thaibulksms/send_sms/accepts" in [name for name, _ in IN_USE]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_verdict_as_jsonschema_on_the_schemas_in_use(data):
    for _, schema in IN_USE:
        agrees(schema, [data.draw(documents(schema)) for _ in range(3)])


@pytest.mark.slow  # about 7 s: the wider search, for CI
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_verdict_as_jsonschema_on_generated_schemas(data):
    schema = data.draw(quick_schemas())
    Draft202012Validator.check_schema(schema)
    agrees(schema, [data.draw(documents(schema)) for _ in range(5)])


@given(st.sampled_from(["minLength", "maxLength", "enum", "pattern", "format", "default", "const"]))
def test_keywords_it_does_not_know_leave_the_verdict_to_jsonschema(keyword):
    value = {"minLength": 1, "maxLength": 1, "enum": ["a"], "pattern": "a", "format": "email"}.get(keyword, "a")
    assert schemas._quick_check({"type": "object", "properties": {"a": {"type": "string", keyword: value}}}) is None
    assert schemas._quick_check({"type": "object", keyword: value}) is None
