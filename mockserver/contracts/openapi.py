"""OpenAPI 3.1 documents built from the operation contracts (:mod:`mockserver.contracts.schemas`).

One document per vendor. Paths are the vendor's real paths; each mount gives two servers: the
mock (``<base><prefix>``, first) and the real host (``https`` unless the host names a port, as
Voice OTP's ``210.211.108.20:8080`` does: ``http``). A vendor with several mounts (ThaiBulkSMS:
SMS API and OTP API) sets those servers per path. Schemas are inlined (``$ref`` resolved), so
the document stands alone.

Responses: the success status gets the ``success`` schema; every HTTP status of the vendor's
error table gets the ``error`` schema (both as ``anyOf`` where they share a status, as with
SmartSMSBulk's HTTP 200 ``ERR`` answers).

Security: HTTP Basic and bearer are security schemes; SmartSMSBulk's MD5 ``chksum`` and
credentials carried in the body (Voice OTP, ThaiBulkSMS OTP) cannot be OpenAPI security schemes
(those live in headers, query or cookies), so they are described in the operation's text and
in the ``x-checksum`` / ``x-credentials-in-body`` extensions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mockserver.contracts import schemas as contracts
from mockserver.version import __version__

if TYPE_CHECKING:
    from mockserver.http.vendor import Vendor

SCHEMES = {
    "basic": ("basicAuth", {"type": "http", "scheme": "basic", "description": "HTTP Basic: the account's credentials"}),
    "bearer": (
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "An access token from the vendor's token endpoint"},
    ),
}
_PARAM = re.compile(r"\{([^/}]+)\}")


def real_base(host: str) -> str:
    return f"http://{host}" if ":" in host else f"https://{host}"


def _media_content(media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {media: {"schema": schema}}


def build(vendor: Vendor, base: str = "http://127.0.0.1:8080") -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``vendor`` as served by a mock at ``base``."""
    contract = contracts.for_vendor(vendor)
    base = base.rstrip("/")
    mounts = list(vendor.mounts())
    paths: dict[str, Any] = {}
    used_schemes: dict[str, Any] = {}
    error_statuses = sorted({row.status for row in vendor.errors})

    def servers_of(mount: Any) -> list[dict[str, str]]:
        out = [{"url": f"{base}{mount.prefix}", "description": "sms-mockserver"}]
        out += [{"url": real_base(h), "description": f"the real {vendor.title} API"} for h in mount.hosts]
        return out

    for index, mount in enumerate(mounts):
        for op in mount.operations:
            oc = contracts.operation(vendor, op.name)
            base_id = oc.document["$id"]

            def part(name: str, oc: contracts.OperationContract = oc, base_id: str = base_id) -> dict[str, Any] | None:
                return contract.resolve(oc.parts[name], base_id) if name in oc.parts else None

            entry: dict[str, Any] = {
                "operationId": op.name,
                "summary": op.summary or oc.document.get("title", op.name),
                "tags": [vendor.title],
            }
            description = [oc.document.get("description", "")]
            if index > 0:
                entry["servers"] = servers_of(mount)
            security = oc.meta("security", "none")
            if security in SCHEMES:
                key, scheme = SCHEMES[security]
                used_schemes[key] = scheme
                entry["security"] = [{key: []}]
            elif security == "checksum":
                entry["x-checksum"] = oc.meta("checksum", "")
                description.append(
                    f"Authentication: an MD5 checksum in the body field `chksum`: {oc.meta('checksum', '')}."
                )
            elif security == "body":
                entry["x-credentials-in-body"] = True
                description.append("Authentication: the caller's credentials are fields of the body.")
            params = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _PARAM.findall(op.path)
            ]
            query = part("query")
            if query is not None:
                required = set(query.get("required", []))
                for name, schema in (query.get("properties") or {}).items():
                    params.append({"name": name, "in": "query", "required": name in required, "schema": schema})
            if params:
                entry["parameters"] = params
            request = part("request")
            media_types = oc.meta("request-media", [])
            if request is not None and media_types:
                entry["requestBody"] = {
                    "required": op.name not in ("balance",),
                    "content": {m: {"schema": request} for m in media_types if m != "application/xml"}
                    | ({"application/xml": {"schema": {"type": "string"}}} if "application/xml" in media_types else {}),
                }
            media = oc.response_media
            success, error = part("success"), part("error")
            responses: dict[str, Any] = {}
            ok = str(oc.success_status)
            if oc.success_status in (301, 302, 303, 307, 308):
                responses[ok] = {"description": "redirect", "headers": {"Location": {"schema": {"type": "string"}}}}
            else:
                responses[ok] = {"description": "success", "content": _media_content(media, success or {})}
            if error is not None:
                for status in error_statuses:
                    key = str(status)
                    if key in responses and "content" in responses[key]:
                        schema = responses[key]["content"][media]["schema"]
                        responses[key]["content"][media]["schema"] = {"anyOf": [schema, error]}
                        responses[key]["description"] = "success or the vendor's error answer"
                    elif key not in responses:
                        responses[key] = {
                            "description": "the vendor's error answer",
                            "content": _media_content(media, error),
                        }
            entry["responses"] = responses
            callback = part("callback")
            if callback is not None and str(oc.meta("callback-url", "{$")).startswith("{$"):
                entry["callbacks"] = {
                    "deliveryReport": {
                        oc.meta("callback-url", "{$request.body#/callbackUrl}"): {
                            "post": {
                                "summary": "delivery report pushed to the callback URL",
                                "requestBody": {"content": {"application/json": {"schema": callback}}},
                                "responses": {"200": {"description": "received"}},
                            }
                        }
                    }
                }
            text = "\n\n".join(d for d in description if d)
            if text:
                entry["description"] = text
            paths.setdefault(op.path, {})[op.method.lower()] = entry
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": f"{vendor.title} (sms-mockserver)",
            "version": __version__,
            "description": (
                f"The {vendor.title} API as sms-mockserver emulates it, built from the JSON Schemas in "
                f"mockserver/vendors/{vendor.name}/schemas/. The first server is the mock, the others the real vendor."
            ),
        },
        "servers": servers_of(mounts[0]),
        "paths": paths,
    }
    if used_schemes:
        document["components"] = {"securitySchemes": used_schemes}
    return document


def fuzz_args(
    schemathesis: str, base: str, vendor: str, mount: Any, *, examples: int, seed: int, checks: str
) -> list[str]:
    """The ``schemathesis run`` command line that fuzzes one mount of ``vendor`` on the mock at
    ``base`` from its own document (``/_mock/openapi/<vendor>.json``): deterministic (``seed``,
    one worker), limited to the mount's own paths. The test suite and ``benchmarks/fuzz.py`` add
    their reporting and credentials (``--auth``) to the same line."""
    return [
        schemathesis,
        "run",
        f"{base}/_mock/openapi/{vendor}.json",
        "--url",
        f"{base}{mount.prefix}",
        "-n",
        str(examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--generation-deterministic",
        "--checks",
        checks,
        "--include-path-regex",
        "^(" + "|".join(re.escape(op.path) for op in mount.operations) + ")$",
    ]
