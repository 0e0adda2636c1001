"""SmartSMSBulk's answers as data: every ``detail`` text, and the delivery-report vocabulary.

SmartSMSBulk has no numeric codes: every answer is HTTP 200 with ``status`` ``OK``/``ERR`` and a
``detail`` text. Rows marked ``documented=False`` are our decisions (see the package docstring).
"""

from __future__ import annotations

from mockserver.core.errors import ErrorRow, ErrorTable
from mockserver.core.store import CANCELLED, DELIVERED, EXPIRED, FAILED, REJECTED

R = ErrorRow
ERRORS = ErrorTable(
    "smartsmsbulk",
    [
        # -- from the seed ------------------------------------------------------------------------
        R("INVALID_PHONE", 200, "Invalid format parameter phoneNo", concerns="recipient"),
        R("INVALID_CHECKSUM", 200, "Invalid checksum", concerns="auth"),
        R("INVALID_USER", 200, "Invalid parameter userId", concerns="auth"),
        R("BULK_NOTHING_VALID", 200, "Not found data for send SMS.", concerns="send"),
        R("OTP_ALREADY_VERIFIED", 200, "OTP is already Verify"),
        R("OTP_NOT_VALID", 200, "OTP CODE IS NOT VALID"),
        # -- the vendor notes' decisions ------------------------------------------------------------
        R("OTP_EXPIRED", 200, "OTP is expired", documented=False),
        R("REFID_NOT_FOUND", 200, "Not found refId", documented=False),
        R("INVALID_TIMESTAMP", 200, "Invalid parameter timestamp", documented=False),
        # -- ours, in the seed's "Invalid parameter <field>" style ----------------------------------
        R("INVALID_PARTNER", 200, "Invalid parameter partnerId", concerns="auth", documented=False),
        R("INVALID_SENDER", 200, "Invalid parameter senderId", concerns="send", documented=False),
        R("INVALID_MESSAGE", 200, "Invalid parameter message", concerns="send", documented=False),
        R("INVALID_CALLBACK", 200, "Invalid parameter callbackUrl", concerns="send", documented=False),
        R("INVALID_REFID", 200, "Invalid parameter refId", documented=False),
        R("INVALID_OTP_ID", 200, "Invalid parameter otpId", concerns="send", documented=False),
        R("INVALID_OTP_CODE", 200, "Invalid parameter otpCode", documented=False),
        R("INVALID_REF_CODE", 200, "Invalid parameter refCode", documented=False),
        R("INSUFFICIENT_CREDIT", 200, "Insufficient credit balance", concerns="send", documented=False),
        R("BULK_TOO_MANY", 200, "Maximum 100 phone numbers per request", concerns="send", documented=False),
        # -- generic failures, answered in the operation's own shape --------------------------------
        R("INVALID_BODY", 200, "Invalid request body", documented=False),
        R("UNSUPPORTED_MEDIA_TYPE", 200, "Content-Type must be application/json", documented=False),
        R("BODY_TOO_LARGE", 200, "Request body too large", documented=False),
        R("NOT_FOUND", 404, "Not found", concerns="routing", documented=False),
        R("METHOD_NOT_ALLOWED", 405, "Method not allowed", concerns="routing", documented=False),
        R("SYSTEM_ERROR", 500, "Internal server error", concerns="system", documented=False),
        R("SERVICE_UNAVAILABLE", 503, "Service unavailable", concerns="system", documented=False),
    ],
)

# Final lifecycle state -> (status, detail) in QueryDR (drStatus/drDetail) and in callbacks.
DR_STATUS: dict[str, tuple[str, str]] = {
    DELIVERED: ("OK", "Successfully sent to phone"),  # the seed
    FAILED: ("ERR", "Failed to send to phone"),  # vendor notes
    EXPIRED: ("ERR", "Message expired"),  # ours
    REJECTED: ("ERR", "Message rejected"),  # ours
    CANCELLED: ("ERR", "Message cancelled"),  # ours; SmartSMSBulk has no cancel API, for completeness
}
DR_WAITING = ("WAIT", "Waiting for delivery report")  # vendor notes: still in flight
