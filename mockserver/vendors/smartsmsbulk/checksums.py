"""SmartSMSBulk's MD5 ``chksum`` formulas, one per operation, exactly as the seed gives them.

``chksum = md5(str(f1) + str(f2) + ... + str(apiKey))``, lowercase hex. Ints and numeric strings
give the same digits, so both are accepted. The server, the reference client and the
``mockserver checksum`` command all use this table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

FIELDS: dict[str, tuple[str, ...]] = {
    "send_sms": ("userId", "partnerId", "senderId", "phoneNo", "message"),
    "send_bulk": ("userId", "partnerId", "senderId", "phoneNo", "message"),  # per item
    "query_dr": ("userId", "partnerId", "refId"),
    "otp_send": ("otpId", "userId", "partnerId", "phoneNo"),
    "check_balance": ("userId", "partnerId", "timestamp"),
}


def _str(value: Any) -> str:
    # Python's str() as in the seed's formula; None (a missing field) contributes nothing.
    return "" if value is None else str(value)


def signed_text(operation: str, values: Mapping[str, Any], api_key: str) -> str:
    """The exact text whose MD5 is the chksum."""
    return "".join(_str(values.get(name)) for name in FIELDS[operation]) + api_key


def checksum(operation: str, values: Mapping[str, Any], api_key: str) -> str:
    return hashlib.md5(signed_text(operation, values, api_key).encode("utf-8")).hexdigest()


def _find_api_key(section: Mapping[str, Any], values: Mapping[str, Any]) -> str | None:
    for account in section.get("accounts") or []:
        if str(account.get("userId")) == str(values.get("userId")):
            return str(account.get("apiKey"))
    return None


def _signer() -> Any:
    from mockserver.core.signing import Signer  # the CLI's plug-in interface; imported late to keep this module light

    return Signer(
        fields=FIELDS,
        secret="apiKey",
        compute=checksum,
        signed_text=signed_text,
        find_secret=_find_api_key,
        formula="chksum = md5(the fields in this order + apiKey), lowercase hex",
    )


SIGNER = _signer()
