"""Contracts: the JSON Schemas (draft 2020-12) of every vendor operation, loaded and compiled once.

Layout (beside each vendor's code)::

    mockserver/vendors/<name>/schemas/
        config.schema.json          the vendor's config section (not a contract)
        common.json                 optional: $defs shared by the vendor's operations
        operations/<operation>.json one file per Operation.name, its parts in ``$defs``

An operation file's ``$defs`` may hold these parts (every one optional except ``success``):

``request``   the body as the vendor's document describes it: the *strict* contract (unknown
              fields, undocumented formats and types are violations here)
``query``     the query string (an object of strings)
``accepts``   the looser shape the mock really tolerates, where the vendor code uses the schema
              as its structural check (see :meth:`OperationContract.valid`)
``success``   the answer when the operation succeeded
``error``     the answer when the vendor refused (its documented error shape)
``callback``  the delivery report the vendor pushes for messages of this operation

Top-level ``x-`` keys describe the operation for the OpenAPI export and the drift report:
``x-request-media`` (list), ``x-response-media`` (``application/json`` or ``text/plain``: a
text answer is validated as a JSON string), ``x-success-status`` (default 200), ``x-security``
(``basic``, ``bearer``, ``checksum``, ``body``, ``none``), ``x-checksum`` (its formula, text),
``x-error-key`` (``{"pointer": "/error/name", "table": "name"|"code"|"message"}``: where an
error answer names its row, so the drift report can find codes missing from our tables).
Schemas refer to each other by ``$ref`` relative to their ``$id``
(``"$ref": "../common.json#/$defs/thaiMobile"``).

Nothing here is imported on the request path unless strict mode or a vendor's structural check
asks for it; ``jsonschema`` itself is imported lazily.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.http.vendor import Vendor

PARTS = ("request", "query", "accepts", "success", "error", "callback")
BASE_ID = "https://sms-mockserver.local/vendors/"


class ContractError(ValueError):
    """A schema file is broken (our bug: the tests load every file)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One place where an instance breaks a schema, in words a developer reads in a CI log."""

    field: str  # "phoneNo", "messages[0].from", "(body)" for the whole document
    expected: str
    got: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "expected": self.expected, "got": self.got, "message": self.message}


def _field_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(body)"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def show(value: Any, limit: int = 60) -> str:
    """A value as it came, with its JSON type: ``"42" (string)``."""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{text} ({_json_type(value)})"


def _expected(error: Any) -> str:
    kind, value = error.validator, error.validator_value
    if kind == "type":
        return " or ".join(value) if isinstance(value, list) else str(value)
    if kind == "pattern":
        return f"a string matching {value}"
    if kind in ("enum",):
        return "one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in value)
    if kind == "const":
        return json.dumps(value, ensure_ascii=False)
    if kind in ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "exclusiveMinimum"):
        return f"{kind} {value}"
    if kind == "format":
        return f"format {value}"
    return f"{kind}: {json.dumps(value, ensure_ascii=False)[:80]}"


def _problems_of(error: Any) -> Iterator[Problem]:
    """Problems of one jsonschema error (one per unknown field, the best branch of an anyOf)."""
    from jsonschema.exceptions import best_match

    if error.validator in ("anyOf", "oneOf") and error.context:
        yield from _problems_of(best_match(error.context))
        return
    path = list(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties") or {})
        extra = [k for k in error.instance if k not in known]
        for key in extra or [None]:
            yield Problem(
                _field_path([*path, key] if key is not None else path),
                "no such field (documented: " + ", ".join(known) + ")" if known else "no fields",
                show(error.instance.get(key)) if key is not None else show(error.instance),
                f"unknown field {key!r}" if key is not None else error.message,
            )
        return
    if error.validator == "required":
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        for key in missing:
            yield Problem(_field_path([*path, key]), "a required field", "nothing", f"{key!r} is required")
        return
    yield Problem(_field_path(path), _expected(error), show(error.instance), error.message)


_QUICK_TYPES: dict[str, type | tuple[type, ...]] = {"string": str, "object": dict, "array": list, "boolean": bool}
_NOTES = {"description", "title", "$comment", "examples"}


def _quick_check(schema: Any) -> Callable[[Any], bool] | None:
    """A plain-Python predicate equal to the validator for the simplest schemas: an object with
    ``required`` names and ``properties`` that only say their type (string, object, array,
    boolean). jsonschema takes tens of microseconds for a request body; this takes one. None
    for any other schema (the validator decides). tests/contracts/test_quick_check.py checks with
    generated documents and schemas that it gives jsonschema's verdict."""
    if (
        not isinstance(schema, dict)
        or schema.get("type") != "object"
        or set(schema) - _NOTES - {"type", "required", "properties"}
    ):
        return None
    types: list[tuple[str, type | tuple[type, ...]]] = []
    for name, prop in (schema.get("properties") or {}).items():
        type_name = prop.get("type") if isinstance(prop, dict) else None
        # A list of types (["string", "null"]) is valid JSON Schema but not this shortcut's.
        if not isinstance(type_name, str) or set(prop) - _NOTES != {"type"} or type_name not in _QUICK_TYPES:
            return None
        types.append((name, _QUICK_TYPES[type_name]))
    required = tuple(schema.get("required") or ())

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return False
        for name in required:
            if name not in instance:
                return False
        return all(name not in instance or isinstance(instance[name], kind) for name, kind in types)

    return check


@cache
def _validator_class() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator


class OperationContract:
    """The compiled schemas of one operation of one vendor."""

    def __init__(self, vendor: str, operation: str, document: dict[str, Any], resolve: Any) -> None:
        self.vendor = vendor
        self.operation = operation
        self.document = document
        self.parts: dict[str, dict[str, Any]] = dict(document.get("$defs") or {})
        if "success" not in self.parts:
            raise ContractError(f"{vendor}/{operation}: no success schema")
        cls = _validator_class()
        # Compiled from the inlined schema: no $ref lookups on the request path.
        self._validators = {
            part: cls(resolve(self.parts[part], document["$id"])) for part in PARTS if part in self.parts
        }
        # Parts simple enough to check in plain Python on the request path (same answers).
        self._quick = {part: q for part, v in self._validators.items() if (q := _quick_check(v.schema)) is not None}

    def meta(self, key: str, default: Any = None) -> Any:
        return self.document.get(f"x-{key}", default)

    @property
    def response_media(self) -> str:
        return self.meta("response-media", "application/json")

    @property
    def success_status(self) -> int:
        return int(self.meta("success-status", 200))

    def has(self, part: str) -> bool:
        return part in self._validators

    def valid(self, part: str, instance: Any) -> bool:
        """Whether ``instance`` fits ``part`` (a part this operation lacks accepts anything)."""
        quick = self._quick.get(part)
        if quick is not None:
            return quick(instance)
        validator = self._validators.get(part)
        return validator is None or validator.is_valid(instance)

    def problems(self, part: str, instance: Any) -> list[Problem]:
        validator = self._validators.get(part)
        if validator is None:
            return []
        out: list[Problem] = []
        for error in sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]):
            out.extend(_problems_of(error))
        return out

    def response_instance(self, media: str, body: bytes) -> tuple[bool, Any]:
        """(checkable, instance) of an answer body: parsed JSON, or the text of a text answer.
        XML answers (ANTS negotiates them) are not checked."""
        media = media.split(";")[0].strip().lower()
        if media == "application/json" or media.endswith("+json"):
            try:
                return True, json.loads(body)
            except (ValueError, UnicodeDecodeError):
                return True, _Unparsable(body)
        if media.startswith("text/plain"):
            return True, body.decode("utf-8", "replace")
        return False, None

    def classify(self, instance: Any) -> tuple[str | None, list[Problem]]:
        """Which answer ``instance`` is (``success`` / ``error``) or None with the problems of the
        closer schema."""
        if isinstance(instance, _Unparsable):
            return None, [Problem("(body)", f"{self.response_media} body", show(instance.text()), "not parseable")]
        if self.valid("success", instance):
            return "success", []
        if self.has("error") and self.valid("error", instance):
            return "error", []
        found = self.problems("success", instance)
        if self.has("error"):
            other = self.problems("error", instance)
            if len(other) < len(found):
                found = other
        return None, found

    def error_key(self, instance: Any) -> str | None:
        """The row key (name, code or text) an error answer carries, per ``x-error-key``."""
        spec = self.meta("error-key")
        if not spec:
            return None
        value: Any = instance
        for part in [p for p in spec.get("pointer", "").split("/") if p]:
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return None
        return None if value is None else str(value)


@dataclass(slots=True)
class _Unparsable:
    raw: bytes

    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")


@dataclass
class VendorContract:
    """Every operation contract of one vendor, by operation name."""

    vendor: str
    operations: dict[str, OperationContract] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # $id -> raw document

    def get(self, operation: str) -> OperationContract | None:
        return self.operations.get(operation)

    def resolve(self, schema: Any, base: str) -> Any:
        """``schema`` with every ``$ref`` replaced by its target (for the OpenAPI export, which
        wants self-contained schemas). Our schemas are not recursive."""
        from urllib.parse import urldefrag, urljoin

        if isinstance(schema, list):
            return [self.resolve(s, base) for s in schema]
        if not isinstance(schema, dict):
            return schema
        if "$ref" in schema:
            target_url = urljoin(base, schema["$ref"])
            doc_url, fragment = urldefrag(target_url)
            document = self.documents.get(doc_url)
            if document is None:
                raise ContractError(f"{self.vendor}: unresolvable $ref {schema['$ref']} from {base}")
            target: Any = document
            for part in [p for p in fragment.split("/") if p]:
                target = target[part]
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            resolved = self.resolve(target, doc_url)
            if rest:
                return {"allOf": [resolved, self.resolve(rest, base)]}
            return resolved
        return {k: self.resolve(v, base) for k, v in schema.items() if k not in ("$id", "$schema")}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ContractError(f"{path}: {exc}") from None


@cache
def _load(vendor: str, package_dir: Path) -> VendorContract:
    schemas = package_dir / "schemas"
    files: dict[str, Path] = {}
    common = schemas / "common.json"
    if common.exists():
        files[f"{BASE_ID}{vendor}/common.json"] = common
    op_dir = schemas / "operations"
    if op_dir.is_dir():
        for path in sorted(op_dir.glob("*.json")):
            files[f"{BASE_ID}{vendor}/operations/{path.name}"] = path
    documents: dict[str, dict[str, Any]] = {}
    for default_id, path in files.items():
        document = _read_json(path)
        document.setdefault("$id", default_id)
        if document["$id"] != default_id:
            raise ContractError(f"{path}: $id must be {default_id}")
        documents[default_id] = document
    contract = VendorContract(vendor, documents=documents)
    prefix = f"{BASE_ID}{vendor}/operations/"
    for doc_id, document in documents.items():
        if doc_id.startswith(prefix):
            name = doc_id[len(prefix) : -len(".json")]
            contract.operations[name] = OperationContract(vendor, name, document, contract.resolve)
    return contract


def load(vendor: str, package_dir: Path) -> VendorContract:
    """The contracts of the vendor package at ``package_dir`` (for a vendor's own models, which
    cannot import their Vendor class), loaded and compiled once per process."""
    return _load(vendor, package_dir)


def for_vendor(vendor: type[Vendor] | Vendor) -> VendorContract:
    """The vendor's contracts, loaded and compiled once per process."""
    return _load(vendor.name, vendor.package_dir)


def operation(vendor: type[Vendor] | Vendor, name: str) -> OperationContract:
    """One operation's contract; a missing file is a :class:`ContractError` (our bug)."""
    found = for_vendor(vendor).get(name)
    if found is None:
        raise ContractError(f"{vendor.name}: no schema for operation {name}")
    return found


def load_all(vendors: Iterable[type[Vendor] | Vendor]) -> dict[str, VendorContract]:
    """Compile every vendor's schemas (start-up of strict mode, the CLI, the tests)."""
    return {v.name: for_vendor(v) for v in vendors}


# -- matching a URL to a vendor operation (the drift report, the tests) --------------------------
_PARAM = re.compile(r"\{[^/}]+\}")


def path_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + _PARAM.sub("[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")) + "$")


def match_operation(vendors: Mapping[str, Vendor], method: str, host: str, path: str) -> tuple[Vendor, str] | None:
    """(vendor, operation name) of a request, by real host or by mock prefix; None if none fits."""
    host = host.lower()
    for vendor in vendors.values():
        for mount in vendor.mounts():
            if host in (h.lower() for h in mount.hosts) or host.split(":")[0] in (h.lower() for h in mount.hosts):
                rest = path
            elif path.startswith(mount.prefix + "/"):
                rest = path[len(mount.prefix) :]
            else:
                continue
            for op in mount.operations:
                if op.method == method.upper() and path_pattern(op.path).match(rest):
                    return vendor, op.name
    return None
