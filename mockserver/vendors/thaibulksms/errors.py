"""ThaiBulkSMS v2's error table as data, every row of the seed's "Status Code & Error Code" list.

Each row keeps the seed's HTTP status, name and description exactly. The seed gives one numeric
``code`` (112 for ``ERROR_MESSAGE``); the others are ours, chosen once and never renumbered
(see the package docstring): the 400 rows count up in the seed's order so that ``ERROR_MESSAGE``
lands on 112 (108-126), the 401/403 rows are 201-207, the 404/405 rows 301-304, the 500 rows
501-525, ``NO_ERROR`` is 0. The seed lists ``ERROR_USER_NOT_FOUND`` twice; it is one row here.

The OTP API (``otp.thaibulksms.com``) answers with texts of its own (vendor notes); they are
rows too, with no numeric code (their bodies carry the HTTP status as ``code``).
"""

from __future__ import annotations

from mockserver.core.errors import ErrorRow, ErrorTable
from mockserver.core.store import DELIVERED, EXPIRED, FAILED, REJECTED

R = ErrorRow

# (status, name, description) exactly as the seed lists them, in its order, with our codes.
SEED_ROWS: tuple[tuple[int, int, str, str, str], ...] = (
    # code, status, name, description, concerns
    (0, 200, "NO_ERROR", "No Error.", "request"),
    (108, 400, "ERROR_FORM", "Form is invalid.", "request"),
    (109, 400, "ERROR_FORCE", "Force is invalid.", "send"),
    (110, 400, "ERROR_SENDER", "Sender is invalid.", "send"),
    (111, 400, "ERROR_SENDER_NOT_FOUND", "Sender not found.", "send"),
    (112, 400, "ERROR_MESSAGE", "The message is invalid.", "send"),
    (113, 400, "ERROR_MESSAGE_TOO_LONG", "The message is too long.", "send"),
    (114, 400, "ERROR_MSISDN", "MSISDN is invalid.", "recipient"),
    (115, 400, "ERROR_MSISDN_EXCEEDED_LIMIT", "MSISDN exceeded the limit.", "send"),
    (116, 400, "ERROR_INSUFFICIENT_CREDIT", "Insufficient credit.", "send"),
    (117, 400, "ERROR_CALLBACK_URL", "Callback Url is invalid.", "send"),
    (118, 400, "ERROR_CALLBACK_METHOD", "You can choose callback method are GET, POST or PUT method.", "send"),
    (119, 400, "ERROR_SCHEDULED_DELIVERY", "Scheduled delivery must be ISO-8601 (RFC-3339) format", "send"),
    (120, 400, "ERROR_SCHEDULED_DELIVERY_TOO_FAR", "Scheduled delivery must be less than 1 year.", "send"),
    (
        121,
        400,
        "ERROR_SCHEDULED_DELIVERY_TIMEZONE",
        "Scheduled delivery must be used Asia/Bangkok timezone (+07:00).",
        "send",
    ),
    (122, 400, "ERROR_TAGS", "Tags is invalid.", "send"),
    (123, 400, "ERROR_TAGS_EXCEEDED_LENGTH", "Tags exceeded the limit.", "send"),
    (124, 400, "ERROR_TAGS_EXIST", "Tags exist.", "send"),
    (125, 400, "ERROR_CONFIGURATION", "Reload configuration failed.", "account"),
    (126, 400, "ERROR_ACC_ID", "acc_id is invalid.", "account"),
    (201, 401, "ERROR_AUTHENTICATION_FAILED", "Authentication failed.", "auth"),
    (202, 403, "ERROR_API_KEY_SUSPENDED", "This API key has been suspended.", "auth"),
    (203, 403, "ERROR_IP_SUSPENDED", "This IP has been suspended.", "auth"),
    (204, 403, "ERROR_IP_NOT_ALLOWED", "This IP is not allowed.", "auth"),
    (205, 403, "ERROR_USER_BLOCKED", "User has been blocked.", "account"),
    (
        206,
        403,
        "ERROR_USER_TRIAL",
        "You are a trial member that can use the registered phone number only.",
        "recipient",
    ),
    (207, 403, "ERROR_API_KEY_DISABLED", "This API key has been disabled.", "auth"),
    (301, 404, "ERROR_NOT_FOUND", "Not Found.", "routing"),
    (302, 404, "ERROR_USER_NOT_FOUND", "User not found.", "account"),  # listed twice in the seed
    (303, 404, "ERROR_USER_PROFILE_NOT_FOUND", "User profile not found.", "account"),
    (304, 405, "ERROR_METHOD_NOT_ALLOWED", "Method Not Allowed.", "routing"),
    (501, 500, "ERROR_SYSTEM_FAILURE", "System Failure.", "system"),
    (502, 500, "ERROR_DB_FAILURE", "Database Failure.", "system"),
    (503, 500, "ERROR_DB_RECOVERING", "Database Recovering.", "system"),
    (504, 500, "ERROR_DB_RECOVERED_FAIL", "Database Recovered Failed.", "system"),
    (505, 500, "ERROR_QUEUE_FAILURE", "Queue Failure.", "system"),
    (506, 500, "ERROR_QUEUE_RECOVERING", "Queue Recovering.", "system"),
    (507, 500, "ERROR_QUEUE_RECOVERED_FAIL", "Queue Recovered Failed.", "system"),
    (508, 500, "ERROR_CACHE_FAILURE", "Cache Failure.", "system"),
    (509, 500, "ERROR_CACHE_RECOVERING", "Cache Recovering.", "system"),
    (510, 500, "ERROR_CACHE_RECOVERED_FAIL", "Cache Recovered Failed.", "system"),
    (511, 500, "ERROR_CONNECTION_TIMEOUT", "Connection Timeout.", "system"),
    (512, 500, "ERROR_CONNECTION_REFUSED", "Connection Refused.", "system"),
    (513, 500, "ERROR_CONNECTION_FAILURE", "Connection Failure.", "system"),
    (514, 500, "ERROR_JSON_MARSHAL", "JSON Marshal failed.", "system"),
    (515, 500, "ERROR_JSON_UNMARSHAL", "JSON Unmarshal failed.", "system"),
    (516, 500, "ERROR_GIN_VARIABLE_NOT_FOUND", "GIN variable not found.", "system"),
    (517, 500, "ERROR_QUERY_STRING", "Querystring values failed.", "system"),
    (518, 500, "ERROR_MAKE_REQUEST", "Cannot make request for request to client.", "system"),
    (519, 500, "ERROR_IO_BODY", "Cannot read response from client.", "system"),
    (520, 500, "ERROR_IP_WHITELIST", "IP Whitelist failed.", "system"),
    (521, 500, "ERROR_CREDIT_DEDUCT", "Cannot deduct credit.", "system"),
    (522, 500, "ERROR_TAGS_CREATE", "Cannot create new tags.", "system"),
    (523, 500, "ERROR_API_KEY_CREATE", "Cannot create new api_key.", "system"),
    (524, 500, "ERROR_SCHEDULED_DELIVERY_CREATE", "Cannot create scheduled delivery.", "system"),
    (525, 500, "ERROR_PUBLISH_OUTBOUND", "Cannot publish outbound SMS data.", "system"),
)

# The OTP API's own texts (vendor notes, "seen in the wild", typos included). HTTP 400 each.
OTP_INVALID_PARAMETER = "OTP_INVALID_PARAMETER"
OTP_TOKEN_EXPIRED = "OTP_TOKEN_EXPIRED"
OTP_CODE_INVALID = "OTP_CODE_INVALID"
OTP_ROWS = (
    R(OTP_INVALID_PARAMETER, 400, "Invalid Paramete.", concerns="request", documented=False),
    R(OTP_TOKEN_EXPIRED, 400, "Token is expire.", concerns="request", documented=False),
    R(OTP_CODE_INVALID, 400, "Code is invalid.", concerns="request", documented=False),
)

ERRORS = ErrorTable(
    "thaibulksms",
    [R(name, status, text, code=code, concerns=concerns) for code, status, name, text, concerns in SEED_ROWS]
    + list(OTP_ROWS),
)

# Final lifecycle state -> (report ``status``, report ``error_message``) in delivery reports.
DR_STATUS: dict[str, tuple[str, str]] = {
    DELIVERED: ("DELIVERED", ""),
    FAILED: ("UNDELIVERED", "Message could not be delivered."),
    EXPIRED: ("EXPIRED", "Message validity period has expired."),
    REJECTED: ("REJECTED", "Message was rejected by the operator."),
}
