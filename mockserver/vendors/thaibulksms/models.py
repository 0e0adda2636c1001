"""ThaiBulkSMS state and rules: accounts, credits, send validation, short links, OTP apps. No HTTP.

Functions raise :class:`~mockserver.core.errors.VendorError` with a row of ``errors.ERRORS``; the routes
render it in the operation's own shape. Field values arrive as the routes parsed them: strings
from a form body, any JSON type from a JSON body.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from mockserver.contracts import schemas as contracts
from mockserver.contracts.schemas import OperationContract
from mockserver.core.bounded import Newest
from mockserver.core.clock import BANGKOK
from mockserver.core.errors import VendorError
from mockserver.core.secrets import same
from mockserver.core.store import Message, OtpRecord, RequestRecord
from mockserver.core.textparts import count_parts
from mockserver.engine.services import Services
from mockserver.vendors.thaibulksms.errors import OTP_CODE_INVALID, OTP_INVALID_PARAMETER, OTP_TOKEN_EXPIRED

VENDOR = "thaibulksms"
CREDIT_TYPES = ("standard", "corporate")
DEFAULT_FORCE = "standard"
MAX_RECIPIENTS = 500
MAX_PARTS = 10  # our decision: a longer message is ERROR_MESSAGE_TOO_LONG
MAX_SENDER = 11  # alphanumeric sender ids are at most 11 characters on every operator
MAX_TAGS = 10
MAX_TAG_LENGTH = 50
CALLBACK_METHODS = ("GET", "POST", "PUT")
ID_ALPHABET = string.ascii_letters + string.digits
MESSAGE_ID_LENGTH = 22  # "Gi9YlmTd6wpgMdec8iMrRi" in the seed
SHORT_CODE_LENGTH = 7
REFNO_ALPHABET = string.ascii_uppercase + string.digits

# 0812345678 / 66812345678 / +66812345678: a Thai mobile (06, 08, 09 + 8 digits).
MSISDN = re.compile(r"^(?:\+?66|0)([689]\d{8})$")
# RFC 3339 date-time with a mandatory offset (ISO-8601 profile the seed's example uses).
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
TAG_PUNCTUATION = frozenset(" _-.")


@dataclass
class Account:
    api_key: str
    api_secret: str
    senders: tuple[str, ...]
    credit: dict[str, int]
    name: str = ""
    acc_id: str | None = None
    callback_url: str | None = None
    callback_method: str = "POST"
    api_key_status: str = "active"  # active | suspended | disabled
    user_status: str = "active"  # active | blocked | not_found | profile_not_found
    trial: bool = False
    registered_numbers: frozenset[str] = frozenset()
    allowed_ips: frozenset[str] | None = None
    suspended_ips: frozenset[str] = frozenset()
    configuration_error: bool = False
    username: str | None = None  # legacy API (sms_api.php) credentials
    password: str | None = None


@dataclass(frozen=True)
class OtpApp:
    key: str
    secret: str
    pin_length: int
    validity_seconds: float
    sender: str
    template: str
    refno_length: int = 6


@dataclass
class SendRequest:
    """A validated ``POST /sms``: everything the accept step needs."""

    numbers: list[str]
    bad_numbers: list[str]
    sender: str
    text: str
    force: str
    parts: int
    encoding: str
    start_at: float | None
    scheduled_delivery: str | None
    callback_url: str | None
    callback_method: str | None
    tags: list[str]
    short_links: dict[str, str] = field(default_factory=dict)


def normalize_msisdn(value: str) -> str | None:
    """``66XXXXXXXXX`` for a Thai mobile in any documented format, else None."""
    m = MSISDN.match(value.strip())
    return f"66{m[1]}" if m else None


def _field(fields: Mapping[str, Any], name: str) -> str | None:
    """An optional string field: None when absent or empty; a non-string is ERROR_FORM."""
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise VendorError("ERROR_FORM")
    return value if value.strip() else None


@cache
def _send_contract() -> OperationContract:
    """``schemas/operations/send_sms.json``: its ``accepts`` part is the structural check."""
    return contracts.load(VENDOR, Path(__file__).parent).operations["send_sms"]


def parse_bool(value: Any) -> bool | None:
    """``shorten_url``: JSON true/false or the strings "true"/"false" (any case)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise VendorError("ERROR_FORM")


def split_msisdn(raw: str) -> tuple[list[str], list[str], int]:
    """(valid numbers as 66..., invalid items as given, items counted) of a comma-separated list.

    Empty items (``a,,b``, a trailing comma) are skipped; a number given twice is sent once.
    """
    items = [item.strip() for item in raw.split(",")]
    items = [item for item in items if item]
    good: list[str] = []
    seen: set[str] = set()
    bad: list[str] = []
    for item in items:
        number = normalize_msisdn(item)
        if number is None:
            bad.append(item)
        elif number not in seen:
            seen.add(number)
            good.append(number)
    return good, bad, len(items)


def one_year_after(dt: datetime) -> datetime:
    try:
        return dt.replace(year=dt.year + 1)
    except ValueError:  # 29 February
        return dt.replace(year=dt.year + 1, day=28)


def parse_scheduled(value: str, now: float) -> float:
    """Unix seconds of a ``scheduled_delivery``: RFC 3339, +07:00, in the future, < 1 year ahead."""
    value = value.strip()
    if not RFC3339.match(value):
        raise VendorError("ERROR_SCHEDULED_DELIVERY")
    try:
        when = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        raise VendorError("ERROR_SCHEDULED_DELIVERY") from None
    if when.utcoffset() != timedelta(hours=7):
        raise VendorError("ERROR_SCHEDULED_DELIVERY_TIMEZONE")
    now_dt = datetime.fromtimestamp(now, BANGKOK)
    if when <= now_dt:
        raise VendorError("ERROR_SCHEDULED_DELIVERY")
    if when >= one_year_after(now_dt):
        raise VendorError("ERROR_SCHEDULED_DELIVERY_TOO_FAR")
    return when.timestamp()


def valid_tag(tag: str) -> bool:
    """Letters and digits of any script with their combining marks (Thai vowels and tone marks
    are marks), space, ``_``, ``-`` and ``.``."""
    return all(ch.isalnum() or ch in TAG_PUNCTUATION or unicodedata.category(ch).startswith("M") for ch in tag)


def parse_tags(fields: Mapping[str, Any]) -> list[str]:
    """``tag`` and ``tags``: each a comma-separated string or (JSON) a list of strings."""
    found: list[str] = []
    for name in ("tag", "tags"):
        value = fields.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = value
        else:
            raise VendorError("ERROR_TAGS")
        for item in items:
            tag = item.strip()
            if not tag or not valid_tag(tag):
                raise VendorError("ERROR_TAGS")
            if len(tag) > MAX_TAG_LENGTH:
                raise VendorError("ERROR_TAGS_EXCEEDED_LENGTH")
            if tag.casefold() in (t.casefold() for t in found):
                raise VendorError("ERROR_TAGS_EXIST")
            found.append(tag)
    if len(found) > MAX_TAGS:
        raise VendorError("ERROR_TAGS_EXCEEDED_LENGTH")
    return found


def _account(a: Mapping[str, Any]) -> Account:
    allowed = a.get("allowed_ips")
    numbers = (normalize_msisdn(str(n)) for n in a.get("registered_numbers") or ())
    return Account(
        api_key=a["api_key"],
        api_secret=a["api_secret"],
        senders=tuple(a["senders"]),
        credit={t: int((a.get("credit") or {}).get(t, 0)) for t in CREDIT_TYPES},
        name=a.get("name", ""),
        acc_id=str(a["acc_id"]) if a.get("acc_id") is not None else None,
        callback_url=a.get("callback_url"),
        callback_method=(a.get("callback_method") or "POST").upper(),
        api_key_status=a.get("api_key_status", "active"),
        user_status=a.get("user_status", "active"),
        trial=bool(a.get("trial", False)),
        registered_numbers=frozenset(n for n in numbers if n),
        allowed_ips=frozenset(allowed) if allowed is not None else None,
        suspended_ips=frozenset(a.get("suspended_ips") or ()),
        configuration_error=bool(a.get("configuration_error", False)),
        username=a.get("username"),
        password=a.get("password"),
    )


# Account states -> the row each one answers (checked in this order after the password).
KEY_STATES = {"suspended": "ERROR_API_KEY_SUSPENDED", "disabled": "ERROR_API_KEY_DISABLED"}
USER_STATES = {
    "blocked": "ERROR_USER_BLOCKED",
    "not_found": "ERROR_USER_NOT_FOUND",
    "profile_not_found": "ERROR_USER_PROFILE_NOT_FOUND",
}


class ThaiBulkSMSModel:
    def __init__(self, services: Services, config: Mapping[str, Any]) -> None:
        self.services = services
        self.accounts: dict[str, Account] = {a["api_key"]: _account(a) for a in config.get("accounts", [])}
        self.otp_apps: dict[str, OtpApp] = {
            o["key"]: OtpApp(
                key=o["key"],
                secret=o["secret"],
                pin_length=o.get("pin_length", 6),
                validity_seconds=o.get("validity_seconds", 300),
                sender=o.get("sender", "OTP"),
                template=o.get("template", "TBS Code: {pin}. Valid for {minutes} minutes."),
            )
            for o in config.get("otp_apps", [])
        }
        self.short_base: str | None = config.get("short_link_base")
        # Both keep their newest journal_size entries (memory under load).
        self.short_links: dict[str, str] = Newest(services.store.journal_size)
        self.otp_tokens: dict[str, OtpRecord] = Newest(services.store.journal_size)

    # -- a saved world (Vendor.state / restore) -----------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "credit": {key: dict(a.credit) for key, a in self.accounts.items()},
            "short_links": list(self.short_links.items()),
            "otp_tokens": [[token, record.to_dict()] for token, record in self.otp_tokens.items()],
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        for key, credit in state.get("credit", {}).items():
            account = self.accounts.get(key)
            if account is not None:
                account.credit = dict(credit)
        for code, url in state.get("short_links", []):
            self.short_links[code] = url
        adopt = self.services.store.adopt_otp
        for token, data in state.get("otp_tokens", []):
            self.otp_tokens[token] = adopt(data)

    # -- who is calling ------------------------------------------------------------------------
    def authenticate(self, api_key: str | None, api_secret: str | None) -> Account:
        account = self.accounts.get(api_key) if api_key is not None else None
        if account is None or not same(api_secret, account.api_secret):
            raise VendorError("ERROR_AUTHENTICATION_FAILED")
        return account

    def authenticate_legacy(self, username: Any, password: Any) -> Account:
        """The account of a legacy ``sms_api.php`` call: its ``username`` and ``password``."""
        for account in self.accounts.values():
            if account.username is not None and username == account.username:
                if isinstance(password, str) and password == account.password:
                    return account
                break
        raise VendorError("ERROR_AUTHENTICATION_FAILED")

    def check_access(self, account: Account, ip: str | None) -> None:
        """The account flags of the config: key state, user state, IP rules, configuration."""
        for table, state in ((KEY_STATES, account.api_key_status), (USER_STATES, account.user_status)):
            if state in table:
                raise VendorError(table[state])
        if ip in account.suspended_ips:
            raise VendorError("ERROR_IP_SUSPENDED")
        if account.allowed_ips is not None and ip not in account.allowed_ips:
            raise VendorError("ERROR_IP_NOT_ALLOWED")
        if account.configuration_error:
            raise VendorError("ERROR_CONFIGURATION")

    @staticmethod
    def force(value: Any) -> str:
        if value is None or value == "":
            return DEFAULT_FORCE
        if not isinstance(value, str) or value.strip().lower() not in CREDIT_TYPES:
            raise VendorError("ERROR_FORCE")
        return value.strip().lower()

    # -- sending -------------------------------------------------------------------------------
    def validate_send(self, account: Account, fields: Mapping[str, Any], short_base: str) -> SendRequest:
        """Check a ``POST /sms`` in the order of the package docstring; the first failure answers."""
        if not _send_contract().valid("accepts", fields):  # msisdn, message, sender: present strings
            raise VendorError("ERROR_FORM")
        raw_msisdn, text, sender = fields["msisdn"], fields["message"], fields["sender"]
        acc_id = fields.get("acc_id")
        if acc_id not in (None, "") and str(acc_id) != account.acc_id:
            raise VendorError("ERROR_ACC_ID")
        force = self.force(fields.get("force"))
        if not sender.strip() or len(sender) > MAX_SENDER or not sender.isascii() or not sender.isprintable():
            raise VendorError("ERROR_SENDER")
        if sender not in account.senders:
            raise VendorError("ERROR_SENDER_NOT_FOUND")
        if not text.strip() or "\x00" in text:
            raise VendorError("ERROR_MESSAGE")
        good, bad, count = split_msisdn(raw_msisdn)
        if count > MAX_RECIPIENTS:
            raise VendorError("ERROR_MSISDN_EXCEEDED_LIMIT")
        if not good:
            raise VendorError("ERROR_MSISDN")
        if account.trial and any(n not in account.registered_numbers for n in good):
            raise VendorError("ERROR_USER_TRIAL")
        scheduled = _field(fields, "scheduled_delivery")
        start_at = parse_scheduled(scheduled, self.services.clock.now()) if scheduled is not None else None
        callback_url = _field(fields, "callback_url")
        if callback_url is not None and not self.services.callbacks.url_allowed(callback_url.strip()):
            raise VendorError("ERROR_CALLBACK_URL")
        method = fields.get("callback_method")
        if method not in (None, ""):
            if not isinstance(method, str) or method.strip().upper() not in CALLBACK_METHODS:
                raise VendorError("ERROR_CALLBACK_METHOD")
            method = method.strip().upper()
        else:
            method = None
        tags = parse_tags(fields)
        short_links: dict[str, str] = {}
        if parse_bool(fields.get("shorten_url")):
            text, short_links = self.shorten(text, self.short_base or short_base)
        info = count_parts(text)
        if info.parts > MAX_PARTS:
            raise VendorError("ERROR_MESSAGE_TOO_LONG")
        return SendRequest(
            numbers=good,
            bad_numbers=bad,
            sender=sender,
            text=text,
            force=force,
            parts=info.parts,
            encoding=info.encoding,
            start_at=start_at,
            scheduled_delivery=scheduled.strip() if scheduled else None,
            callback_url=callback_url.strip() if callback_url else None,
            callback_method=method,
            tags=tags,
            short_links=short_links,
        )

    def shorten(self, text: str, base: str) -> tuple[str, dict[str, str]]:
        """Replace each http(s) URL with ``{base}/{code}``, a link the mock redirects (302)."""
        links: dict[str, str] = {}

        def replace(match: re.Match[str]) -> str:
            url = match.group(0)
            code = self._new_short_code()
            self.short_links[code] = url
            links[code] = url
            return f"{base.rstrip('/')}/{code}"

        return URL.sub(replace, text), links

    def _new_short_code(self) -> str:
        while True:
            code = self.services.rng.token(SHORT_CODE_LENGTH, ID_ALPHABET)
            if code not in self.short_links:
                return code

    def new_message_id(self) -> str:
        return self.services.rng.token(MESSAGE_ID_LENGTH, ID_ALPHABET)

    def accept(
        self, account: Account, req: SendRequest, request: RequestRecord | None, operation: str = "send_sms"
    ) -> list[Message]:
        """Charge per recipient per part (all or nothing), journal each message, start delivery."""
        total = req.parts * len(req.numbers)
        if account.credit[req.force] < total:
            raise VendorError("ERROR_INSUFFICIENT_CREDIT")
        account.credit[req.force] -= total
        callback_url = req.callback_url or account.callback_url
        fields = {
            "credit_type": req.force,
            "tags": req.tags,
            "scheduled_delivery": req.scheduled_delivery,
            "short_links": req.short_links,
        }
        return [
            self._journal(
                operation=operation,
                account=account.api_key,
                recipient=number,
                text=req.text,
                sender=req.sender,
                credits=req.parts,
                callback_url=callback_url,
                callback_method=(req.callback_method or account.callback_method) if callback_url else None,
                fields=fields,
                request=request,
                start_at=req.start_at,
            )
            for number in req.numbers
        ]

    def _journal(self, **values: Any) -> Message:
        """Journal one accepted message under a new id and start its delivery."""
        return self.services.accept_message(id=self.new_message_id(), vendor=VENDOR, **values)

    # -- OTP -----------------------------------------------------------------------------------
    def otp_app(self, fields: Mapping[str, Any]) -> OtpApp:
        key, secret = fields.get("key"), fields.get("secret")
        for name, value in (("key", key), ("secret", secret)):
            if not isinstance(value, str) or not value:
                raise VendorError(OTP_INVALID_PARAMETER, reason=f"{name} is required.")
        app = self.otp_apps.get(str(key))  # checked above: a non-empty string
        if app is None or not same(secret, app.secret):
            raise VendorError(OTP_INVALID_PARAMETER, reason="key or secret is invalid.")
        return app

    @staticmethod
    def otp_msisdn(fields: Mapping[str, Any]) -> str:
        value = fields.get("msisdn")
        if not isinstance(value, str) or not value.strip():
            raise VendorError(OTP_INVALID_PARAMETER, reason="msisdn is required.")
        number = normalize_msisdn(value)
        if number is None:
            raise VendorError(OTP_INVALID_PARAMETER, reason="msisdn is invalid.")
        return number

    def otp_request(self, app: OtpApp, number: str, request: RequestRecord | None) -> OtpRecord:
        rng = self.services.rng
        pin = rng.digits(app.pin_length)
        refno = rng.token(app.refno_length, REFNO_ALPHABET)
        token = rng.token(32, ID_ALPHABET)
        text = app.template.format(pin=pin, refno=refno, minutes=int(app.validity_seconds // 60))
        message = self._journal(
            operation="otp_request",
            account=app.key,
            recipient=number,
            text=text,
            sender=app.sender,
            credits=0,  # OTP apps are billed per OTP package, not from the SMS credit
            fields={"token": token, "refno": refno},
            request=request,
        )
        now = message.created_at
        record = OtpRecord(
            vendor=VENDOR,
            account=app.key,
            phone=number,
            code=pin,
            ref=refno,
            created_at=now,
            expires_at=now + app.validity_seconds,
            message_id=message.id,
            fields={"token": token},
        )
        self.otp_tokens[token] = record
        self.services.store.add_otp(record)
        return record

    def otp_verify(self, app: OtpApp, fields: Mapping[str, Any]) -> None:
        token, pin = fields.get("token"), fields.get("pin")
        if not isinstance(token, str) or not token:
            raise VendorError(OTP_INVALID_PARAMETER, reason="token is required.")
        if isinstance(pin, int) and not isinstance(pin, bool):
            pin = str(pin)
        if not isinstance(pin, str) or not pin:
            raise VendorError(OTP_INVALID_PARAMETER, reason="pin is required.")
        record = self.otp_tokens.get(token)
        if record is None or record.account != app.key or record.verified:
            raise VendorError(OTP_TOKEN_EXPIRED)
        if record.expires_at is not None and self.services.clock.now() >= record.expires_at:
            raise VendorError(OTP_TOKEN_EXPIRED)
        record.attempts += 1
        if not same(pin.strip(), record.code):
            raise VendorError(OTP_CODE_INVALID)
        record.verified = True
