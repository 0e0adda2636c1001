"""SmartSMSBulk state and rules: accounts, credits, OTP configs and codes. No HTTP here.

Functions raise :class:`~mockserver.core.errors.VendorError` with a row of ``errors.ERRORS``; the
routes render it in the operation's own shape.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.core.bounded import Newest
from mockserver.core.errors import VendorError
from mockserver.core.secrets import same
from mockserver.core.store import FINAL_STATES, Message, OtpRecord, RequestRecord
from mockserver.core.textparts import TextParts, count_parts
from mockserver.engine.services import Services
from mockserver.vendors.smartsmsbulk.checksums import checksum

PHONE = re.compile(r"^(?:66|0)([689]\d{8})$")
REF_ID = re.compile(r"^(?:\d{12}|\d{17})-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
MAX_PARTS = 10  # our decision: longer texts are INVALID_MESSAGE
MAX_BULK = 100
REF_ALPHABET = string.ascii_letters


@dataclass
class Account:
    user_id: int
    partner_id: int
    api_key: str
    sender_ids: frozenset[int]
    credit: float
    callback_url: str | None = None


@dataclass(frozen=True)
class OtpConfig:
    otp_id: str
    user_id: int
    type: str
    digits: int
    ref_length: int
    prefix: str
    validity_seconds: float
    sender_id: int | None
    template: str


def as_int(value: Any) -> int | None:
    """An id given as an int or a string of digits (both appear in the seed); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def normalize_phone(value: Any) -> str | None:
    """``66XXXXXXXXX`` for a Thai mobile number given as 66... or 0..., else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    m = PHONE.match(value)
    return f"66{m[1]}" if m else None


def whole(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


class SmartSMSBulkModel:
    vendor = "smartsmsbulk"

    def __init__(self, services: Services, config: Mapping[str, Any]) -> None:
        self.services = services
        self.accounts: dict[int, Account] = {}
        for a in config.get("accounts", []):
            self.accounts[a["userId"]] = Account(
                a["userId"],
                a["partnerId"],
                a["apiKey"],
                frozenset(a["senderIds"]),
                a["creditBalance"],
                a.get("callback_url"),
            )
        self.otp_configs: dict[str, OtpConfig] = {}
        for c in config.get("otp_configs", []):
            self.otp_configs[c["otpId"]] = OtpConfig(
                otp_id=c["otpId"],
                user_id=c["userId"],
                type=c.get("type", "system"),
                digits=c.get("digits", 4),
                ref_length=c.get("ref_length", 8),
                prefix=c.get("prefix", ""),
                validity_seconds=c.get("validity_seconds", 300),
                sender_id=c.get("senderId"),
                template=c.get("template", "{prefix}-{refCode} OTP {otpCode}"),
            )
        self.otps: dict[tuple[str, str, str], OtpRecord] = Newest(services.store.journal_size)

    # -- a saved world (Vendor.state / restore) -----------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "credit": {str(a.user_id): a.credit for a in self.accounts.values()},
            "otps": [[list(key), record.to_dict()] for key, record in self.otps.items()],
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        for user_id, credit in state.get("credit", {}).items():
            account = self.accounts.get(int(user_id))
            if account is not None:
                account.credit = credit
        adopt = self.services.store.adopt_otp
        for key, data in state.get("otps", []):
            self.otps[(key[0], key[1], key[2])] = adopt(data)

    # -- authentication ----------------------------------------------------------------------
    def authenticate(self, operation: str, body: Mapping[str, Any]) -> Account:
        """userId, then partnerId, then the operation's chksum: the first that fails answers."""
        user_id = as_int(body.get("userId"))
        account = self.accounts.get(user_id) if user_id is not None else None
        if account is None:
            raise VendorError("INVALID_USER")
        if as_int(body.get("partnerId")) != account.partner_id:
            raise VendorError("INVALID_PARTNER")
        given = body.get("chksum")
        if not isinstance(given, str) or not same(given.lower(), checksum(operation, body, account.api_key)):
            raise VendorError("INVALID_CHECKSUM")
        return account

    # -- sending -----------------------------------------------------------------------------
    def validate_sms(self, account: Account, body: Mapping[str, Any]) -> tuple[str, int, str, str | None, TextParts]:
        """(phone, senderId, message, callbackUrl, parts) of a valid SendSMS body; the parts are
        handed on to :meth:`accept`, which would otherwise count them a second time."""
        phone = normalize_phone(body.get("phoneNo"))
        if phone is None:
            raise VendorError("INVALID_PHONE")
        sender_id = as_int(body.get("senderId"))
        if sender_id is None or sender_id not in account.sender_ids:
            raise VendorError("INVALID_SENDER")
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            raise VendorError("INVALID_MESSAGE")
        parts = count_parts(message)
        if parts.parts > MAX_PARTS:
            raise VendorError("INVALID_MESSAGE")
        callback = body.get("callbackUrl")
        if callback in (None, ""):
            callback = None
        elif not isinstance(callback, str) or not self.services.callbacks.url_allowed(callback):
            raise VendorError("INVALID_CALLBACK")
        return phone, sender_id, message, callback, parts

    def send(
        self, account: Account, body: Mapping[str, Any], *, operation: str, ref_id: str, request: RequestRecord
    ) -> Message:
        """Validate one SendSMS body (or bulk item) of an authenticated account and accept it."""
        phone, sender_id, message, callback, parts = self.validate_sms(account, body)
        return self.accept(
            account=account,
            operation=operation,
            ref_id=ref_id,
            phone=phone,
            sender_id=sender_id,
            text=message,
            callback_url=callback,
            request=request,
            parts=parts,
        )

    def new_ref_id(self) -> str:
        stamp = self.services.clock.strftime("%y%m%d%H%M%S")
        return f"{stamp}-{self.services.rng.uuid4()}"

    def charge(self, account: Account, parts: int) -> None:
        if account.credit < parts:
            raise VendorError("INSUFFICIENT_CREDIT")
        account.credit -= parts

    def accept(
        self,
        *,
        account: Account,
        operation: str,
        ref_id: str,
        phone: str,
        sender_id: int | None,
        text: str,
        callback_url: str | None,
        request: RequestRecord | None,
        fields: dict[str, Any] | None = None,
        parts: TextParts | None = None,
    ) -> Message:
        """Charge the account, journal the message and start its delivery lifecycle; ``parts`` is
        ``count_parts(text)`` when the caller already has it."""
        info = parts if parts is not None else count_parts(text)
        self.charge(account, info.parts)
        callback_url = callback_url or account.callback_url
        return self.services.accept_message(
            id=ref_id,
            vendor=self.vendor,
            operation=operation,
            account=str(account.user_id),
            recipient=phone,
            text=text,
            sender=str(sender_id) if sender_id is not None else None,
            encoding=info.encoding,
            parts=info.parts,
            callback_url=callback_url,
            fields=fields or {},
            request=request,
        )

    # -- delivery reports --------------------------------------------------------------------
    def find_message(self, account: Account, ref_id: str) -> Message | None:
        message = self.services.store.get_message(ref_id)
        if message is None or message.vendor != self.vendor or message.account != str(account.user_id):
            return None
        return message

    @staticmethod
    def is_final(message: Message) -> bool:
        return message.status in FINAL_STATES

    # -- OTP ---------------------------------------------------------------------------------
    def otp_config(self, otp_id: Any, user_id: int | None = None) -> OtpConfig:
        config = self.otp_configs.get(otp_id) if isinstance(otp_id, str) else None
        if config is None or (user_id is not None and config.user_id != user_id):
            raise VendorError("INVALID_OTP_ID")
        return config

    def new_otp(self, config: OtpConfig, phone: str, otp_code: Any, ref_code: Any) -> tuple[str, str]:
        """(otpCode, refCode): the partner's own for a company-code config, else generated."""
        if config.type == "company":
            # Company codes are digit strings (an int would lose leading zeros).
            if not (isinstance(otp_code, str) and otp_code.isascii() and otp_code.isdigit()):
                raise VendorError("INVALID_OTP_CODE")
            if not isinstance(ref_code, str) or not ref_code.strip():
                raise VendorError("INVALID_REF_CODE")
            return otp_code, ref_code
        rng = self.services.rng
        return rng.digits(config.digits), rng.letters(config.ref_length, REF_ALPHABET)

    def otp_text(self, config: OtpConfig, code: str, ref: str) -> str:
        return config.template.format(
            prefix=config.prefix, refCode=ref, otpCode=code, minutes=int(config.validity_seconds // 60)
        )

    def remember_otp(self, config: OtpConfig, phone: str, code: str, ref: str, message_id: str) -> OtpRecord:
        now = self.services.clock.now()
        record = OtpRecord(
            vendor=self.vendor,
            account=str(config.user_id),
            phone=phone,
            code=code,
            ref=ref,
            created_at=now,
            expires_at=now + config.validity_seconds,
            message_id=message_id,
            fields={"otpId": config.otp_id, "prefix": config.prefix},
        )
        self.otps[(config.otp_id, phone, ref)] = record
        self.services.store.add_otp(record)
        return record

    def verify_otp(self, config: OtpConfig, phone: str, ref: Any, code: Any) -> None:
        record = self.otps.get((config.otp_id, phone, ref)) if isinstance(ref, str) else None
        if record is None:
            raise VendorError("OTP_NOT_VALID")
        if record.verified:
            raise VendorError("OTP_ALREADY_VERIFIED")
        if record.expires_at is not None and self.services.clock.now() >= record.expires_at:
            raise VendorError("OTP_EXPIRED")
        record.attempts += 1
        if isinstance(code, bool) or not isinstance(code, str | int) or not same(str(code), record.code):
            raise VendorError("OTP_NOT_VALID")
        record.verified = True

    # -- balance -----------------------------------------------------------------------------
    def check_timestamp(self, value: Any) -> None:
        ts = as_int(value)
        if ts is None or ts > 10**11 or abs(ts - self.services.clock.now()) > 86400:
            raise VendorError("INVALID_TIMESTAMP")
