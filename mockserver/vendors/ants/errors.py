"""ANTS's answers as data: the status table and the error rows, in one place.

The *status table* is the vendor's public "Status and Error codes" page: seven general groups
(``0`` ACCEPTED ... ``6`` COMPLETED) and the detailed three-digit codes. A status object on the
wire is ``{"code": <detailed code>, "name": <group name>, "description": <detailed text>}``; send
answers, message logs and delivery reports all build it from :func:`status_object`, and the HTTP
error rows below reuse the detailed rows where the vendor documents one (206, 207, 204, 208).

The public table is cut off after code 208 (a row ``209`` follows without its text, and the
groups EXPIRED, REJECTED and COMPLETED have no detailed rows at all), so no row above 208 is
listed here. Where we need a status the table does not give, we answer with the group's
*general* code (``"4"``, ``"5"``...) and the group's remark: both are documented.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from mockserver.core.errors import ErrorRow, ErrorTable
from mockserver.core.store import ACCEPTED, DELIVERED, EXPIRED, FAILED, PENDING, REJECTED, SCHEDULED, SENT


@dataclass(frozen=True, slots=True)
class Status:
    code: str  # the detailed three-digit code, or the group's general code where none is public
    name: str  # the group's name: PENDING, DELIVERED...
    description: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "description": self.description}


# -- general status groups (code, name, remark) -------------------------------------------------
GROUPS: MappingProxyType[int, Status] = MappingProxyType(
    {
        0: Status("0", "ACCEPTED", "Message is accepted."),
        1: Status("1", "PENDING", "Message is pending status."),
        2: Status("2", "UNDELIVERED", "Message is undeliverable."),
        3: Status("3", "DELIVERED", "Message is delivered."),
        4: Status("4", "EXPIRED", "Message is expired."),
        5: Status("5", "REJECTED", "Message is rejected."),
        6: Status("6", "COMPLETED", "Message is completed."),
    }
)
GROUP_BY_NAME = MappingProxyType({s.name: n for n, s in GROUPS.items()})

# -- detailed codes as the public page lists them (cut off after 208) ---------------------------
DELIVERED_OK = Status("000", "DELIVERED", "Successfully sent to phone")  # the seed's delivery report
SMSC_ACK = Status("000", "PENDING", "Message acknowledged by SMSC")
PENDING_ACCEPTED = Status("101", "PENDING", "Pending - Message has been accepted by the system")
PENDING_PROCESS = Status(
    "102",
    "PENDING",
    "Process - Message has been processed, and is ready to be sent to the next instance i.e. operator"
    " / Send to operator success",
)
SYSTEM_ERROR = Status(
    "204",
    "UNDELIVERED",
    "Error - The request has been rejected due to an expected system error, please retry submission "
    "or contact our technical support team for more details",
)
MALFORMED_XML = Status("206", "UNDELIVERED", "Malformed XML")
AUTH_FAILED = Status("207", "UNDELIVERED", "Authentication failed")
SERVICE_BLOCKED = Status("208", "UNDELIVERED", "Service blocked")

DETAILED: tuple[Status, ...] = (
    DELIVERED_OK,
    SMSC_ACK,
    PENDING_ACCEPTED,
    PENDING_PROCESS,
    SYSTEM_ERROR,
    MALFORMED_XML,
    AUTH_FAILED,
    SERVICE_BLOCKED,
)

# Lifecycle state -> the status shown for it when no scenario code says otherwise.
LIFECYCLE: MappingProxyType[str, Status] = MappingProxyType(
    {
        ACCEPTED: PENDING_ACCEPTED,
        SCHEDULED: PENDING_ACCEPTED,
        SENT: PENDING_PROCESS,
        PENDING: PENDING_PROCESS,
        DELIVERED: DELIVERED_OK,
        FAILED: GROUPS[2],
        EXPIRED: GROUPS[4],
        REJECTED: GROUPS[5],
    }
)


def status_object(state: str, code: str | None = None) -> Status:
    """The status of a message in lifecycle ``state``; ``code`` is a scenario's delivery code.

    A code of the detailed table in the state's group (or any group when the state is final and
    the code names one) gives that row; a general group code gives the group; any other code is
    echoed with the state's group name and remark, never with an invented text.
    """
    base = LIFECYCLE.get(state, PENDING_PROCESS)
    if code is None:
        return base
    code = str(code)
    same_group = [s for s in DETAILED if s.code == code and s.name == base.name]
    if same_group:
        return same_group[0]
    any_group = [s for s in DETAILED if s.code == code]
    if any_group:
        return any_group[0]
    if code.isdigit() and int(code) in GROUPS and len(code) == 1:
        return GROUPS[int(code)]
    return Status(code, base.name, GROUPS[GROUP_BY_NAME[base.name]].description)


# -- per-destination refusals in a send answer: status REJECTED, reason in the description ------
REJECT_INVALID_DESTINATION = "Invalid destination address"
REJECT_SENDER = "Sender name is not allowed for this account"
REJECT_NO_CREDIT = "Insufficient credit"
REJECT_MESSAGE_ID = "messageId must be at most 200 characters"


def rejected(reason: str) -> Status:
    return Status(GROUPS[5].code, GROUPS[5].name, reason)


# -- HTTP errors: {"error": {"code", "name", "description"}} ------------------------------------
def _row(
    name: str, http: int, status: Status | str, *, concerns: str = "request", documented: bool | None = None
) -> ErrorRow:
    """A row from a documented detailed status, or (text) one of ours in the REJECTED group."""
    if isinstance(status, Status):
        return ErrorRow(
            name,
            http,
            status.description,
            status.code,
            concerns,
            True if documented is None else documented,
            MappingProxyType({"group": status.name}),
        )
    return ErrorRow(name, http, status, None, concerns, False, MappingProxyType({"group": GROUPS[5].name}))


ERRORS = ErrorTable(
    "ants",
    [
        # -- documented detailed codes --------------------------------------------------------------
        _row("AUTHENTICATION_FAILED", 401, AUTH_FAILED, concerns="auth"),
        _row("MALFORMED_XML", 400, MALFORMED_XML),
        _row("SERVICE_BLOCKED", 403, SERVICE_BLOCKED, concerns="account"),
        _row("SYSTEM_ERROR", 500, SYSTEM_ERROR, concerns="system"),
        # -- ours: HTTP 429 as the notes say, text ours -----------------------------------------------
        _row("TOO_MANY_REQUESTS", 429, "Too many requests", concerns="account"),
        # -- send field limits (the vendor's public field table) --------------------------------------
        _row("MESSAGES_REQUIRED", 400, "messages is required", concerns="send"),
        _row("BULK_ID_INVALID", 400, "bulkId must be a string of at most 50 characters", concerns="send"),
        _row("FROM_INVALID", 400, "from is required: at most 11 characters, space is not allowed", concerns="send"),
        _row("TEXT_REQUIRED", 400, "text is required", concerns="send"),
        _row("TEXT_TOO_LONG", 400, "text must be at most 1600 characters", concerns="send"),
        _row("DESTINATIONS_REQUIRED", 400, "destinations is required", concerns="send"),
        _row("TOO_MANY_DESTINATIONS", 400, "destinations must have at most 500 numbers", concerns="send"),
        _row("NOTIFY_URL_INVALID", 400, "notifyUrl must be an http(s) URL of at most 150 characters", concerns="send"),
        _row(
            "NOTIFY_CONTENT_TYPE_INVALID",
            400,
            "notifyContentType must be application/json or application/xml",
            concerns="send",
        ),
        _row("SHORTURL_INVALID", 400, "shorturl must be y or n", concerns="send"),
        _row("CALLBACK_DATA_INVALID", 400, "callbackData must be a string", concerns="send"),
        # -- message logs ------------------------------------------------------------------------------
        _row(
            "LOGINFO_FILTER_REQUIRED",
            400,
            "At least one of bulkId, messageId, mobile, sendDateStart, sendDateEnd is required",
        ),
        _row("LOGINFO_DATE_INVALID", 400, "sendDateStart and sendDateEnd must be dates as yyyy-MM-dd HH:mm:ss"),
        # -- preview -------------------------------------------------------------------------------------
        _row("PREVIEW_MESSAGE_REQUIRED", 400, "message is required"),
        # -- OTP -------------------------------------------------------------------------------------------
        _row("OTC_ID_INVALID", 400, "Invalid otcId", concerns="send"),
        _row("MOBILE_INVALID", 400, "Invalid mobile number", concerns="recipient"),
        _row("OTP_ID_INVALID", 400, "Invalid otpId"),
        _row("OTP_CODE_REQUIRED", 400, "otpCode is required"),
        _row("OTP_ALREADY_VERIFIED", 400, "OTP has already been verified"),
        _row("INSUFFICIENT_CREDIT", 400, "Insufficient credit", concerns="account"),
        # -- generic failures -------------------------------------------------------------------------------
        _row("INVALID_REQUEST_BODY", 400, "Invalid request body"),
        _row("UNSUPPORTED_CONTENT_TYPE", 415, "Content-Type must be application/json or application/xml"),
        _row("REQUEST_TOO_LARGE", 413, "Request body too large"),
        _row("NOT_FOUND", 404, "Not Found", concerns="routing"),
        _row("METHOD_NOT_ALLOWED", 405, "Method Not Allowed", concerns="routing"),
        _row("SERVICE_UNAVAILABLE", 503, "Service unavailable", concerns="system"),
    ],
)


def error_object(row: ErrorRow, detail: str) -> dict[str, str]:
    """The body of an HTTP error: the row's detailed code, or its group's general code."""
    group = row.extra.get("group", GROUPS[5].name)
    code = str(row.code) if row.code is not None else GROUPS[GROUP_BY_NAME[group]].code
    return {"code": code, "name": group, "description": detail}
