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


def checksum(operation: str, values: Mapping[str, Any], api_key: str) -> str:
    joined = "".join(_str(values.get(name)) for name in FIELDS[operation]) + api_key
    return hashlib.md5(joined.encode("utf-8")).hexdigest()
