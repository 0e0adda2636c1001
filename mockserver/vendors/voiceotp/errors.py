"""Voice OTP's result codes as data: both postSMS tables of the seed, checkVoice and checkBalance.

The gateway answers postSMS and checkVoice with a bare code in plain text, so the code is all a
client sees; the English and Vietnamese meanings (the seed's ``INFO_EN`` / ``INFO_VN`` columns,
verbatim) live here so that the reference client, the tests and the docs read one table.

``CODES`` is every row of the seed's two postSMS tables in the seed's order (the first table's
``-5,-6`` row is split into one row per code). ``ERRORS`` is the :class:`ErrorTable` built from the
refusals among them plus the generic failures (malformed body, unknown path...), which reuse the
seed's codes and are marked ``documented=False``. ``trigger`` says how the mock reaches each code:
``input`` rows by a real request, ``scenario`` rows only by a scenario rule ``respond: {error: N}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from mockserver.core.errors import ErrorRow, ErrorTable


@dataclass(frozen=True, slots=True)
class Code:
    code: int
    name: str  # our stable name (scenario rules may use it instead of the number)
    en: str  # the seed's INFO_EN, verbatim
    vi: str  # the seed's INFO_VN, verbatim
    table: str  # "user" (the seed's first table), "message" (its second), "check_voice", "check_balance"
    trigger: str  # "input: <what triggers it>" or "scenario"
    concerns: str = "send"

    @property
    def by_input(self) -> bool:
        return self.trigger.startswith("input")


C = Code
# -- postSMS, the seed's "ERROR CODE (INFORMATION USER)" table, then its message table -------------
CODES: tuple[Code, ...] = (
    C(
        -1,
        "USER_NOT_FOUND",
        "User not found",
        "Sai thông tin user",
        "user",
        "input: unknown username or wrong pass/key",
        "auth",
    ),
    C(
        -2,
        "IP_NOT_ALLOWED",
        "IP not allow",
        "IP chưa được phép",
        "user",
        "input: caller outside the account's allowed_ips",
        "auth",
    ),
    C(-5, "SYSTEM_ERROR", "System Error", "Lỗi hệ thống", "user", "scenario", "system"),
    C(-6, "SYSTEM_ERROR_6", "System Error", "Lỗi hệ thống", "user", "scenario", "system"),
    C(
        -4,
        "INCORRECT_PHONE_FORMAT",
        "Incorrect Phone format",
        "Số điện thoại không đúng định dạng",
        "user",
        "input: phonesend missing, not a string, or not digits",
        "recipient",
    ),
    C(
        -8,
        "ACCOUNT_NOT_ENOUGH",
        "Account not enough",
        "Tài khoản không đủ",
        "user",
        "input: the account's balance is 0",
        "account",
    ),
    C(
        1,
        "SUCCESS",
        "Successfully received the message",
        "Thành công tiếp nhận tin nhắn thành công",
        "message",
        "input: a valid call",
    ),
    C(
        5,
        "BRANDNAME_NOT_DECLARED",
        "Brandname Not declared",
        "Chưa khai báo brandname/dịch vụ Tài khoản chưa có dịch vụ",
        "message",
        "input: sender missing or not one of the account's senders",
    ),
    C(
        6,
        "REPEAT_CONTENT",
        "Repeat content The message sends the same content to 1 phone number",
        "Lặp nội dung Tin nhắn gửi cùng nội dung đến 1 SDT trong thời gian quy định",
        "message",
        "input: the same message to the same number within 5 minutes",
    ),
    C(
        7,
        "SUBSCRIBER_REFUSES",
        "The subscriber refuses to receive the message The subscriber refuses to receive SMS of all services"
        " or a certain service",
        "Thuê bao từ chối nhận tin Thuê bao từ chối nhận tin nhắn của tất cả dịch vụ hoặc 1 dịch vụ nào đó",
        "message",
        "scenario",
        "recipient",
    ),
    C(
        9,
        "TEMPLATE_NOT_DECLARED",
        "Not declared the Account template yet Sign up for a message or a form that has not been approved",
        "Chưa khai báo template Tài khoản chưa được đăng ký mẫu gửi tin nhắn hoặc tin mẫu chưa được duyệt",
        "message",
        "scenario",
    ),
    C(
        10,
        "SUBSCRIBER_FORMAT_INCORRECT",
        "Subscriber format is incorrect. Wrong number format Phone (missing or balance, wrong area code)",
        "Định dạng thuê bao không đúng Sai định dạng số điện thoại (thiếu hoặc dư số, sai mã vùng)",
        "message",
        "input: phonesend digits with a wrong prefix or length",
        "recipient",
    ),
    C(
        11,
        "INVALID_PARAMETERS",
        "Has invalid parameters Has special characters / parameters number when transmitting data via API",
        "Có tham số không hợp lệ Có ký tự đặc biệt/tham số khi truyền dữ liệu qua API",
        "message",
        "input: message not 1 to 6 ASCII digits; malformed body; unknown request_id",
        "request",
    ),
    C(
        14,
        "BALANCE_NOT_ENOUGH",
        "The account is not enough (money) The account balance is not enough to send the message",
        "Tài khoản không đủ (tiền) Số dư tài khoản không đủ gửi tin nhắn",
        "message",
        "input: balance above 0 but below the account's price per call",
        "account",
    ),
    C(
        15,
        "ACCOUNT_EXPIRED",
        "Account Expiry Account is past due Current and not renewed",
        "Tài khoản hết hạn Tài khoản quá hạn so với ngày hiện tại và chưa được gia hạn",
        "message",
        "input: account flag expired: true",
        "account",
    ),
    C(
        16,
        "SERVICE_EXPIRED",
        "Service Expiry Service is expired and has not been renewed",
        "Hết hạn dịch vụ Dịch vụ quá hạn sử dụng và chưa được gia hạn",
        "message",
        "input: account flag service_expired: true",
        "account",
    ),
    C(
        20,
        "UNICODE_NOT_SUPPORTED",
        "Gateway does not support Unicode Accounts yet be registered to use Unicode",
        "Gateway chưa hỗ trợ Unicode Tài khoản chưa được đăng ký sử dụng Unicode",
        "message",
        "input: non-ASCII message on an account with unicode: false",
    ),
    C(
        22,
        "ACCOUNT_NOT_ACTIVATED",
        "Account not activated Account created but not activated yet",
        "Tài khoản chưa kích hoạt Tài khoản đã tạo nhưng chưa được kích hoạt",
        "message",
        "input: account flag activated: false",
        "account",
    ),
    C(
        23,
        "INCORRECT_SYNTAX",
        "Incorrect message syntax When Mo message is wrong Incorrect commandcode declared",
        "Sai cú pháp tin nhắn Là khi nhắn Mo lên bị sai cú pháp không đúng commandcode đã khai báo",
        "message",
        "scenario",
    ),
    C(
        27,
        "GATE_ERROR",
        "Send message: gate returns error code Gateways connect to network flickering or disconnected (PENDING)",
        "Gửi tin: gate trả mã lỗi Cổng kết nối đến nhà mạng chập chờn hoặc mất kết nối "
        "(Trạng thái chưa xác định Không hoàn tiền)",
        "message",
        "scenario",
        "system",
    ),
    C(
        31,
        "EXTENSION_CHANGED",
        "Text message failed: extension 11 has changed to",
        "Gửi tin thất bại: đầu số 11 số đã chuyển đổi",
        "message",
        "input: an old 11-digit number (01x...)",
        "recipient",
    ),
)

# -- checkVoice: the call's state (seed section II) --------------------------------------------------
VOICE_ANSWERED, VOICE_PENDING, VOICE_FAILED = 1, 27, 23
CHECK_VOICE_CODES: tuple[Code, ...] = (
    C(1, "ANSWERED", "SUCCESS", "Người nhận bắt máy", "check_voice", "input: the call reached delivered"),
    C(
        27,
        "PENDING",
        "PENDDING",
        "Hệ thống vẫn đang check. Vui lòng check lại",
        "check_voice",
        "input: the call is not final yet",
    ),
    C(
        23,
        "FAILED",
        "FAILED",
        "Các t.h trạng thái bao gồm : BUSY,NO ANSWER,",
        "check_voice",
        "input: the call reached failed / expired / rejected",
    ),
)

# -- checkBalance: errorcode (seed section III; the English is ours) ----------------------------------
CHECK_BALANCE_CODES: tuple[Code, ...] = (
    C(1, "OK", "Success", "thành công", "check_balance", "input: valid credentials"),
    C(
        0,
        "FAILED",
        "Unsuccessful or wrong user/pass/key",
        "không thành công hoặc sai user/pass/key",
        "check_balance",
        "input: anything else",
    ),
)

POST_SMS_BY_CODE: dict[int, Code] = {c.code: c for c in CODES}
CHECK_VOICE_BY_CODE: dict[int, Code] = {c.code: c for c in CHECK_VOICE_CODES}
CHECK_BALANCE_BY_CODE: dict[int, Code] = {c.code: c for c in CHECK_BALANCE_CODES}
SUCCESS = POST_SMS_BY_CODE[1]


def _row(c: Code) -> ErrorRow:
    return ErrorRow(
        c.name,
        200,
        c.en,
        c.code,
        concerns=c.concerns,
        extra=MappingProxyType({"vi": c.vi, "table": c.table, "trigger": c.trigger}),
    )


# Generic failures answer a seed code too (our decision, see the package docstring). They come after
# the seed's rows so that a scenario's ``error: 11`` or ``error: -5`` resolves to the seed's row.
R = ErrorRow
GENERIC_ROWS: tuple[ErrorRow, ...] = (
    R("MALFORMED_BODY", 200, "Malformed body: not a JSON object", 11, documented=False),
    R("WRONG_CONTENT_TYPE", 200, "Content-Type is not application/json", 11, documented=False),
    R("BODY_TOO_LARGE", 200, "Request body over the size limit", 11, documented=False),
    R("UNKNOWN_PATH", 404, "Not found", 11, concerns="routing", documented=False),
    R("WRONG_METHOD", 405, "Method not allowed", 11, concerns="routing", documented=False),
    R("INTERNAL_ERROR", 500, "Internal server error", -5, concerns="system", documented=False),
)

ERRORS = ErrorTable("voiceotp", [_row(c) for c in CODES if c.code != SUCCESS.code] + list(GENERIC_ROWS))
