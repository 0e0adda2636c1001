"""ANTS state and rules: accounts, the rate limiter, send validation, logs and OTPs. No HTTP.

Functions raise :class:`~mockserver.core.errors.VendorError` with a row of ``errors.ERRORS``; the
routes render it in JSON or XML. Values may arrive as JSON types or, from XML bodies, as
strings: every rule accepts both.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from mockserver.core.bounded import Newest
from mockserver.core.clock import BANGKOK
from mockserver.core.errors import VendorError
from mockserver.core.secrets import same
from mockserver.core.store import FINAL_STATES, Message, OtpRecord, RequestRecord
from mockserver.core.textparts import count_parts
from mockserver.engine.services import Services
from mockserver.vendors.ants.errors import (
    PENDING_ACCEPTED,
    REJECT_INVALID_DESTINATION,
    REJECT_MESSAGE_ID,
    REJECT_NO_CREDIT,
    REJECT_SENDER,
    Status,
    rejected,
    status_object,
)

VENDOR = "ants"
MAX_FROM = 11
MAX_TEXT = 1600
MAX_DESTINATIONS = 500
MAX_NOTIFY_URL = 150
MAX_BULK_ID = 50
MAX_MESSAGE_ID = 200
LOG_WINDOW = 48 * 3600  # message logs cover the last 48 hours
JSON_CT, XML_CT = "application/json", "application/xml"
NOTIFY_TYPES = (JSON_CT, XML_CT)
DESTINATION = re.compile(r"^\+?([1-9]\d{7,14})$")  # international format, no leading 0
THAI_MOBILE = re.compile(r"^(?:\+?66|0)(\d{9})$")
REF_ALPHABET = string.ascii_uppercase + string.digits


@dataclass
class RateLimiter:
    """At most ``requests`` calls in any ``seconds``-long window of the shared clock."""

    requests: int
    seconds: float
    _calls: deque[float] = field(default_factory=deque)

    def allow(self, now: float) -> bool:
        calls = self._calls
        while calls and calls[0] <= now - self.seconds:
            calls.popleft()
        if len(calls) >= self.requests:
            return False
        calls.append(now)
        return True


@dataclass
class Account:
    username: str
    password: str
    senders: tuple[str, ...]
    credit: Decimal
    type: str = "prepaid"
    blocked: bool = False
    limiter: RateLimiter | None = None
    callback_url: str | None = None
    callback_content_type: str = JSON_CT
    callback_auth: tuple[str, str] | None = None

    def callback_headers(self, content_type: str) -> dict[str, str]:
        """The delivery report's headers: Basic auth from the configured callback credentials."""
        charset = "utf-16" if content_type == XML_CT else "utf-8"
        headers = {"Content-Type": f"{content_type}; charset={charset}"}
        if self.callback_auth is not None:
            token = base64.b64encode(f"{self.callback_auth[0]}:{self.callback_auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        return headers


@dataclass(frozen=True)
class OtpConfig:
    otc_id: str
    username: str
    digits: int
    validity_seconds: float
    tries: int
    sender: str
    ref_length: int
    template: str


@dataclass
class Destination:
    to: str  # as given (echoed in a rejection)
    message_id: str | None  # the client's
    number: str | None  # normalised international number, None when invalid


@dataclass
class SmsRequest:
    """One validated item of ``messages``."""

    sender: str
    destinations: list[Destination]
    text: str
    shorturl: str | None
    notify_url: str | None
    notify_content_type: str
    callback_data: str | None


@dataclass
class OtpState:
    config: OtpConfig
    otp_id: str
    record: OtpRecord
    notify: tuple[str | None, str, str | None] = (None, "", None)  # kept for resendOTP
    wrong: int = 0


def _str(value: Any) -> str | None:
    """A string field from JSON or XML (numbers are accepted as their text)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) else None


def ants_time(ts: float | None) -> str | None:
    """The seed's ``2019-05-27T14:40:09.44``: Bangkok time, milliseconds without trailing zeros."""
    if ts is None:
        return None
    dt = datetime.fromtimestamp(ts, BANGKOK)
    millis = f"{dt.microsecond // 1000:03d}".rstrip("0")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{millis}" if millis else "")


def parse_date(value: str) -> float:
    """``yyyy-MM-dd HH:mm:ss`` (or ISO ``T``; date only = midnight), Asia/Bangkok when naive."""
    dt = datetime.fromisoformat(value.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=BANGKOK)
    return dt.timestamp()


def credit(parts: int | Decimal) -> Decimal:
    return Decimal(parts).quantize(Decimal("0.01"))


class AntsModel:
    def __init__(self, services: Services, config: Mapping[str, Any]) -> None:
        self.services = services
        self.accounts: dict[str, Account] = {}
        for a in config.get("accounts", []):
            rate = a.get("rate_limit")
            auth = a.get("callback_auth")
            self.accounts[a["username"]] = Account(
                username=a["username"],
                password=a["password"],
                senders=tuple(a["senders"]),
                credit=credit(Decimal(str(a.get("credit", 0)))),
                type=a.get("type", "prepaid"),
                blocked=a.get("blocked", False),
                limiter=RateLimiter(rate["requests"], rate.get("seconds", 1)) if rate else None,
                callback_url=a.get("callback_url"),
                callback_content_type=a.get("callback_content_type", JSON_CT),
                callback_auth=(auth["username"], auth["password"]) if auth else None,
            )
        self.otp_configs: dict[str, OtpConfig] = {}
        for c in config.get("otp_configs", []):
            self.otp_configs[c["otcId"].upper()] = OtpConfig(
                otc_id=c["otcId"],
                username=c["username"],
                digits=c.get("digits", 6),
                validity_seconds=c.get("validity_seconds", 300),
                tries=c.get("tries", 3),
                sender=c.get("sender", "OTP"),
                ref_length=c.get("ref_length", 6),
                template=c.get("template", "Your OTP is {otp} (Ref: {ref}). Valid for {minutes} minutes."),
            )
            account = self.accounts.get(c["username"])
            if account is None or c.get("sender", "OTP") not in account.senders:
                raise ValueError(f"ants: OTP config {c['otcId']} needs an account's username and one of its senders")
        self.otps: dict[str, OtpState] = Newest(services.store.journal_size)  # otpId -> state (the newest)

    # -- a saved world (Vendor.state / restore) -----------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Credits as decimal strings (exact), and every live OTP with its config's otcId."""
        return {
            "credit": {name: str(a.credit) for name, a in self.accounts.items()},
            "otps": [
                {
                    "otc_id": s.config.otc_id,
                    "otp_id": s.otp_id,
                    "record": s.record.to_dict(),
                    "notify": list(s.notify),
                    "wrong": s.wrong,
                }
                for s in self.otps.values()
            ],
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        for name, value in state.get("credit", {}).items():
            account = self.accounts.get(name)
            if account is not None:
                account.credit = Decimal(value)
        adopt = self.services.store.adopt_otp
        for saved in state.get("otps", []):
            config = self.otp_configs.get(saved["otc_id"].upper())
            if config is None:  # no longer in the config: it cannot be verified anyway
                continue
            notify = saved["notify"]
            otp = OtpState(config, saved["otp_id"], adopt(saved["record"]), (notify[0], notify[1], notify[2]))
            otp.wrong = saved["wrong"]
            self.otps[otp.otp_id] = otp

    # -- authentication and rate ---------------------------------------------------------------
    def authenticate(self, header: str | None) -> Account:
        """HTTP Basic credentials of a configured account; then its block flag and its rate."""
        account = None
        if header and header[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", ""
            found = self.accounts.get(user)
            if found is not None and same(password, found.password):
                account = found
        if account is None:
            raise VendorError("AUTHENTICATION_FAILED")
        if account.blocked:
            raise VendorError("SERVICE_BLOCKED")
        if account.limiter is not None and not account.limiter.allow(self.services.clock.now()):
            raise VendorError("TOO_MANY_REQUESTS")
        return account

    # -- send ------------------------------------------------------------------------------------
    def validate_send(self, body: Mapping[str, Any]) -> tuple[str | None, list[SmsRequest]]:
        """(client bulkId, messages): every request-level rule; nothing is sent if one fails."""
        bulk_id = body.get("bulkId")
        if bulk_id in (None, ""):
            bulk_id = None
        else:
            bulk_id = _str(bulk_id)
            if bulk_id is None or len(bulk_id) > MAX_BULK_ID:
                raise VendorError("BULK_ID_INVALID")
        messages = body.get("messages")
        if isinstance(messages, Mapping):  # one message given as an object (XML with a single <message>)
            messages = [messages]
        if not isinstance(messages, list) or not messages or not all(isinstance(m, Mapping) for m in messages):
            raise VendorError("MESSAGES_REQUIRED")
        return bulk_id, [self._validate_message(m) for m in messages]

    def _validate_message(self, m: Mapping[str, Any]) -> SmsRequest:
        sender = _str(m.get("from"))
        if not sender or len(sender) > MAX_FROM or any(ch.isspace() for ch in sender):
            raise VendorError("FROM_INVALID")
        text = m.get("text")
        if not isinstance(text, str) or not text:
            raise VendorError("TEXT_REQUIRED")
        if len(text) > MAX_TEXT:
            raise VendorError("TEXT_TOO_LONG")
        destinations = self._destinations(m.get("destinations"))
        shorturl = m.get("shorturl")
        if shorturl in (None, ""):
            shorturl = None
        elif not isinstance(shorturl, str) or shorturl.lower() not in ("y", "n"):
            raise VendorError("SHORTURL_INVALID")
        notify_url, content_type, callback_data = self.notify_fields(m)
        return SmsRequest(sender, destinations, text, shorturl, notify_url, content_type, callback_data)

    def notify_fields(self, m: Mapping[str, Any]) -> tuple[str | None, str, str | None]:
        """(notifyUrl, notifyContentType or "", callbackData) of a send or OTP request."""
        notify_url = m.get("notifyUrl")
        if notify_url in (None, ""):
            notify_url = None
        elif (
            not isinstance(notify_url, str)
            or len(notify_url) > MAX_NOTIFY_URL
            or not self.services.callbacks.url_allowed(notify_url)
        ):
            raise VendorError("NOTIFY_URL_INVALID")
        content_type = m.get("notifyContentType")
        if content_type in (None, ""):
            content_type = ""
        elif not isinstance(content_type, str) or content_type.strip().lower() not in NOTIFY_TYPES:
            raise VendorError("NOTIFY_CONTENT_TYPE_INVALID")
        callback_data = m.get("callbackData")
        if callback_data is not None and not isinstance(callback_data, str):
            raise VendorError("CALLBACK_DATA_INVALID")
        return notify_url, content_type.strip().lower(), callback_data

    @staticmethod
    def _destinations(value: Any) -> list[Destination]:
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = [value]  # "a single String is supported instead of an Array"
        elif isinstance(value, Mapping):
            value = [value]  # XML with one <destination>
        if not isinstance(value, list) or not value:
            raise VendorError("DESTINATIONS_REQUIRED")
        if len(value) > MAX_DESTINATIONS:
            raise VendorError("TOO_MANY_DESTINATIONS")
        out = []
        for item in value:
            if isinstance(item, Mapping):
                to, message_id = _str(item.get("to")), item.get("messageId")
                message_id = _str(message_id) if message_id not in (None, "") else None
            else:
                to, message_id = _str(item), None
            to = to if to is not None else ""
            m = DESTINATION.match(to.strip())
            out.append(Destination(to, message_id, m[1] if m else None))
        return out

    def new_bulk_id(self) -> str:
        return self.services.rng.uuid4()

    def new_message_id(self) -> str:
        # 20 digits, as in the seed: one draw of a 20-digit number (a first digit 1-9, then 19
        # digits) instead of a join of 19 choices, as seeded as before.
        return str(self.services.rng.random.randrange(10**19, 10**20))

    def accept(
        self,
        account: Account,
        sms: SmsRequest,
        dest: Destination,
        *,
        bulk_id: str,
        operation: str,
        request: RequestRecord | None,
        fields: dict[str, Any] | None = None,
    ) -> tuple[str, Decimal, Status, Message | None]:
        """(messageId, credit, status, message) of one destination: accepted, or REJECTED."""
        message_id = dest.message_id or self.new_message_id()
        if dest.message_id is not None and len(dest.message_id) > MAX_MESSAGE_ID:
            return message_id, credit(0), rejected(REJECT_MESSAGE_ID), None
        if dest.number is None:
            return message_id, credit(0), rejected(REJECT_INVALID_DESTINATION), None
        if sms.sender not in account.senders:
            return message_id, credit(0), rejected(REJECT_SENDER), None
        info = count_parts(sms.text)
        cost = credit(info.parts)
        if account.type == "prepaid" and account.credit < cost:
            return message_id, credit(0), rejected(REJECT_NO_CREDIT), None
        account.credit -= cost
        services = self.services
        store = services.store
        journal_id, n = message_id, 1
        while store.get_message(journal_id) is not None:  # a client reusing its messageId: keep both
            n += 1
            journal_id = f"{message_id}~{n}"
        callback_url = sms.notify_url or account.callback_url
        message = services.accept_message(
            id=journal_id,
            vendor=VENDOR,
            operation=operation,
            account=account.username,
            recipient=dest.number,
            text=sms.text,
            sender=sms.sender,
            encoding=info.encoding,
            parts=info.parts,
            credits=float(cost),
            callback_url=callback_url,
            fields={
                "bulkId": bulk_id,
                "messageId": message_id,
                "to": dest.to.strip(),
                "notifyContentType": sms.notify_content_type or account.callback_content_type,
                "callbackData": sms.callback_data,
                "shorturl": sms.shorturl,
                **(fields or {}),
            },
            request=request,
        )
        return message_id, cost, PENDING_ACCEPTED, message

    # -- message logs ---------------------------------------------------------------------------
    def logs(self, account: Account, query: Mapping[str, str]) -> list[Message]:
        """The account's messages of the last 48 hours matching every given filter, oldest first."""
        wanted = {
            k: (query.get(k) or "").strip() for k in ("bulkId", "messageId", "mobile", "sendDateStart", "sendDateEnd")
        }
        if not any(wanted.values()):
            raise VendorError("LOGINFO_FILTER_REQUIRED")
        try:
            start = parse_date(wanted["sendDateStart"]) if wanted["sendDateStart"] else None
            end = parse_date(wanted["sendDateEnd"]) if wanted["sendDateEnd"] else None
        except ValueError:
            raise VendorError("LOGINFO_DATE_INVALID") from None
        now = self.services.clock.now()
        since = max(now - LOG_WINDOW, start) if start is not None else now - LOG_WINDOW
        mobile = re.sub(r"\D", "", wanted["mobile"])
        if wanted["mobile"] and not mobile:
            return []
        found = self.services.store.find_messages(
            vendor=VENDOR, account=account.username, since=since, phone=mobile or None
        )
        out = []
        for message in reversed(found):
            f = message.fields
            if wanted["bulkId"] and f.get("bulkId") != wanted["bulkId"]:
                continue
            if wanted["messageId"] and f.get("messageId") != wanted["messageId"]:
                continue
            if end is not None and message.created_at > end:
                continue
            out.append(message)
        return out

    @staticmethod
    def status_of(message: Message) -> Status:
        return status_object(message.status, message.final.get("code"))

    @staticmethod
    def done_at(message: Message) -> float | None:
        if message.status not in FINAL_STATES:
            return None
        return message.timeline[-1][1]

    def detail(self, message: Message) -> dict[str, Any]:
        """One message as logs and delivery reports show it (the seed's key order)."""
        f = message.fields
        return {
            "messageId": f["messageId"],
            "to": message.recipient,
            "from": message.sender,
            "text": message.text,
            "credit": credit(Decimal(str(message.credits))),
            "sendDate": ants_time(message.created_at),
            "doneDate": ants_time(self.done_at(message)),
            "status": self.status_of(message).to_dict(),
        }

    # -- OTP ---------------------------------------------------------------------------------------
    def otp_config(self, account: Account, otc_id: Any) -> OtpConfig:
        config = self.otp_configs.get(otc_id.strip().upper()) if isinstance(otc_id, str) else None
        if config is None or config.username != account.username:
            raise VendorError("OTC_ID_INVALID")
        return config

    @staticmethod
    def mobile(value: Any) -> str:
        """A Thai mobile number given as 66XXXXXXXXX, +66... or 0XXXXXXXXX, as 66XXXXXXXXX."""
        m = THAI_MOBILE.match((_str(value) or "").strip())
        if m is None:
            raise VendorError("MOBILE_INVALID")
        return f"66{m[1]}"

    def issue_otp(self, account: Account, config: OtpConfig, phone: str, otp_id: str | None = None) -> OtpState:
        """A new code and reference for ``phone`` (a resend keeps the otpId and starts afresh);
        not live until :meth:`register_otp`."""
        rng, now = self.services.rng, self.services.clock.now()
        code, ref = rng.digits(config.digits), rng.letters(config.ref_length, REF_ALPHABET)
        otp_id = otp_id or rng.uuid4()
        record = OtpRecord(
            vendor=VENDOR,
            account=account.username,
            phone=phone,
            code=code,
            ref=ref,
            created_at=now,
            expires_at=now + config.validity_seconds,
            fields={"otcId": config.otc_id, "otpId": otp_id, "tries": config.tries},
        )
        return OtpState(config, otp_id, record)

    def register_otp(self, state: OtpState, message_id: str) -> None:
        """Make ``state`` the live OTP of its otpId (visible under ``/_mock/otp``) once its SMS is out."""
        state.record.message_id = message_id
        self.otps[state.otp_id] = state
        self.services.store.add_otp(state.record)

    def otp_text(self, state: OtpState) -> str:
        c = state.config
        return c.template.format(otp=state.record.code, ref=state.record.ref, minutes=int(c.validity_seconds // 60))

    def find_otp(self, account: Account, otp_id: Any) -> OtpState:
        state = self.otps.get(otp_id.strip()) if isinstance(otp_id, str) else None
        if state is None or state.record.account != account.username:
            raise VendorError("OTP_ID_INVALID")
        return state

    def verify_otp(self, state: OtpState, code: Any) -> dict[str, bool]:
        """``result``/``isErrorCount``/``isExprCode``: run-out tries win over expiry, then the code."""
        code = _str(code)
        if not code:
            raise VendorError("OTP_CODE_REQUIRED")
        record = state.record
        if record.verified:
            raise VendorError("OTP_ALREADY_VERIFIED")
        outcome = {"result": False, "isErrorCount": False, "isExprCode": False}
        if state.wrong >= state.config.tries:
            outcome["isErrorCount"] = True
            return outcome
        if record.expires_at is not None and self.services.clock.now() >= record.expires_at:
            outcome["isExprCode"] = True
            return outcome
        record.attempts += 1
        if same(code.strip(), record.code):
            record.verified = True
            outcome["result"] = True
            return outcome
        state.wrong += 1
        outcome["isErrorCount"] = state.wrong >= state.config.tries
        return outcome
