"""The tests' own SmartSMSBulk signer, written from the seed's formulas, not the server's table.

The tests sign every request with this, so a server whose field order drifted from the seed would
reject them; ``test_checksum_vectors`` pins it to hand-computed digests. The seed's formulas
(smartsmsbulk-postman-collection.json, each request's ``chksum`` description):

- SendSMS, and each SendBulkSMS item:
  MD5(str(userId)+str(partnerId)+str(senderId)+str(phoneNo)+str(message)+str(apiKey))
- QueryDR: MD5(str(userId)+str(partnerId)+str(refId)+str(apiKey))
- OptSendSms: MD5(str(otpId)+str(userId)+str(partnerId)+str(phoneNo)+str(apiKey))
- CheckBalance: MD5(str(userId)+str(partnerId)+str(timestamp)+str(apiKey))

OptVerify and the delivery callback carry no checksum. The digest is lowercase hex (vendor notes).
A field the body lacks adds nothing: the seed is silent, and bad-input tests sign incomplete bodies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

SEED_ORDER: dict[str, tuple[str, ...]] = {
    "send_sms": ("userId", "partnerId", "senderId", "phoneNo", "message"),
    "send_bulk": ("userId", "partnerId", "senderId", "phoneNo", "message"),
    "query_dr": ("userId", "partnerId", "refId"),
    "otp_send": ("otpId", "userId", "partnerId", "phoneNo"),
    "check_balance": ("userId", "partnerId", "timestamp"),
}


def signed_text(operation: str, body: Mapping[str, Any], api_key: str) -> str:
    """The text the seed hashes: the fields' str() in the seed's order, then the apiKey."""
    return "".join("" if body.get(name) is None else str(body[name]) for name in SEED_ORDER[operation]) + api_key


def checksum(operation: str, body: Mapping[str, Any], api_key: str) -> str:
    return hashlib.md5(signed_text(operation, body, api_key).encode("utf-8")).hexdigest()
