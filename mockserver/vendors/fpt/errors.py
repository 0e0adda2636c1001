"""FPT SMS Brandname's error table as data: every code, its HTTP status and both texts.

Every error answer is ``{"error": <int>, "error_description": "<text>"}`` with an HTTP status other
than 200. ``message`` is the Vietnamese text of the seed's table (the vendor's own words, sent as
``error_description``); ``extra["en"]`` is an English description for people reading the journal.

Codes 1001-1016 are the seed's table; they follow the OAuth2 error codes of RFC 6749/6750 in
order (invalid_request, unauthorized_client, access_denied, ...), so the HTTP statuses are the
ones an OAuth2 server gives them. 2501/2513/2518/2519 are from the vendor notes (seen in public
clients); their Vietnamese texts are ours (``documented=False``).

The generic failures (unknown path, wrong method, body too large, wrong Content-Type, a bug of
ours) reuse code 1001 / 1006 with the HTTP status that tells a person what went wrong; they
follow the main rows so that a scenario's ``error: 1001`` finds the main row.
"""

from __future__ import annotations

from types import MappingProxyType

from mockserver.core.errors import ErrorRow, ErrorTable


def _row(
    name: str, status: int, code: int, vi: str, en: str, concerns: str = "request", documented: bool = True
) -> ErrorRow:
    return ErrorRow(name, status, vi, code, concerns, documented, MappingProxyType({"en": en}))


ERRORS = ErrorTable(
    "fpt",
    [
        # -- the seed's table (section 4, "BẢNG MÃ LỖI") -------------------------------------------
        _row(
            "INVALID_REQUEST",
            400,
            1001,
            "Request không hợp lệ.",
            "The request is invalid (malformed body or a missing access_token/session_id).",
        ),
        _row(
            "UNAUTHORIZED_CLIENT",
            403,
            1002,
            "Client không được cấp phép truy cập.",
            "The client is not authorised to access.",
            "auth",
        ),
        _row("ACCESS_DENIED", 403, 1003, "Truy cập bị từ chối.", "Access denied.", "auth"),
        _row(
            "UNSUPPORTED_RESPONSE_TYPE",
            400,
            1004,
            "Loại response yêu cầu không được hỗ trợ.",
            "The requested response type is not supported.",
        ),
        _row("INVALID_SCOPE", 400, 1005, "Các scope không hợp lệ", "The requested scopes are invalid.", "auth"),
        _row("SERVER_ERROR", 500, 1006, "Lỗi server.", "Server error.", "system"),
        _row(
            "TEMPORARILY_UNAVAILABLE",
            503,
            1007,
            "Server tạm thời không thể xử lý request từ client.",
            "The server is temporarily unable to handle the request.",
            "system",
        ),
        _row(
            "INVALID_CLIENT",
            401,
            1008,
            "Thông tin client không đúng.",
            "The client_id/client_secret are wrong.",
            "auth",
        ),
        _row("INVALID_GRANT", 400, 1009, "Loại hình cấp quyền không hợp lệ.", "The grant type is invalid.", "auth"),
        _row(
            "INSUFFICIENT_SCOPE",
            403,
            1010,
            "Scope không đủ để truy cập API",
            "The token's scopes do not include the one this API requires.",
            "auth",
        ),
        _row(
            "INVALID_TOKEN",
            401,
            1011,
            "Access token không hợp lệ",
            "The access token is unknown or not valid for this session_id.",
            "auth",
        ),
        _row("TOKEN_ALTERED", 401, 1012, "Access token đã bị thay đổi", "The access token has been altered.", "auth"),
        _row("TOKEN_EXPIRED", 401, 1013, "Access token hết hạn", "The access token has expired.", "auth"),
        _row(
            "INVALID_PARAMETERS",
            400,
            1014,
            "Các tham số truyền vào bị lỗi",
            "A parameter is missing or wrong (bad base64, phone, ScheduleTime, Quota...).",
            "send",
        ),
        _row(
            "UNSUPPORTED_GRANT_TYPE",
            400,
            1015,
            "Không hỗ trợ kiểu loại hình cấp quyền này",
            "This grant type is not supported (only client_credentials is).",
            "auth",
        ),
        _row(
            "QUOTA_EXCEEDED",
            403,
            1016,
            "Số lượng tin nhắn gửi đã vượt hạn mức",
            "The campaign's quota is used up.",
            "send",
        ),
        # -- the vendor notes (codes seen in public clients); Vietnamese texts are ours --------------
        _row(
            "DUPLICATE_MESSAGE",
            400,
            2501,
            "Tin nhắn trùng nội dung gửi đến cùng số điện thoại trong vòng 5 phút",
            "The same content was sent to the same number within 5 minutes.",
            "recipient",
            False,
        ),
        _row(
            "BRANDNAME_NOT_REGISTERED",
            400,
            2513,
            "Brandname chưa được đăng ký",
            "The brandname is not registered for this client.",
            "send",
            False,
        ),
        _row(
            "TEMPLATE_MISMATCH",
            400,
            2518,
            "Nội dung tin nhắn không khớp với mẫu đã đăng ký",
            "The content does not match a registered template.",
            "send",
            False,
        ),
        _row(
            "BANNED_KEYWORD",
            400,
            2519,
            "Nội dung tin nhắn chứa từ khóa bị cấm",
            "The content contains a banned keyword.",
            "send",
            False,
        ),
        # -- generic failures, in the same shape (our decisions) -------------------------------------
        _row("NOT_FOUND", 404, 1001, "Request không hợp lệ.", "Unknown path.", "routing", False),
        _row("METHOD_NOT_ALLOWED", 405, 1001, "Request không hợp lệ.", "Every FPT API is POST.", "routing", False),
        _row(
            "UNSUPPORTED_MEDIA_TYPE",
            415,
            1001,
            "Request không hợp lệ.",
            "The body must be JSON (Content-Type application/json).",
            "request",
            False,
        ),
        _row(
            "BODY_TOO_LARGE",
            413,
            1001,
            "Request không hợp lệ.",
            "The body is larger than the server accepts.",
            "request",
            False,
        ),
        _row("INTERNAL", 500, 1006, "Lỗi server.", "An unexpected error in the mock.", "system", False),
    ],
)

# The OAuth2 grant types an OAuth2 server knows but FPT does not offer: asking for one of these is
# 1015 (not supported); anything else that is not client_credentials is 1009 (not a grant type).
KNOWN_GRANT_TYPES = frozenset(
    {
        "authorization_code",
        "password",
        "refresh_token",
        "implicit",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:saml2-bearer",
    }
)
