"""Voice OTP state and rules: accounts, balances, phone numbers, repeats. No HTTP here.

Functions raise :class:`~mockserver.core.errors.VendorError` with a row name of ``errors.ERRORS``; the
routes render it as the bare code.
"""

from __future__ import annotations

import ipaddress
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.core.bounded import Newest
from mockserver.core.config import ConfigError
from mockserver.core.errors import VendorError
from mockserver.core.secrets import same
from mockserver.core.store import DELIVERED, FINAL_STATES, Message, OtpRecord, RequestRecord
from mockserver.engine.services import Services
from mockserver.vendors.voiceotp.errors import VOICE_ANSWERED, VOICE_FAILED, VOICE_PENDING

VENDOR = "voiceotp"
REPEAT_WINDOW = 300.0  # seconds: the same code to the same number again answers 6
MAX_CODE_DIGITS = 6

# phonesend: digits, optionally after "+" (anything else is -4).
PHONE_SHAPE = re.compile(r"^\+?\d+$")
# A Vietnamese mobile number, national (0) or international (84) form: 9 digits after the prefix,
# the first two of which are a mobile network code (Viettel 32-39/86/96-98, Vinaphone 81-85/88/91/94,
# MobiFone 70/76-79/89/90/93, Vietnamobile 52/56/58/92, Gmobile 59/99, Reddi 55, iTel 87).
MOBILE = re.compile(r"^(?:0|84)(\d{9})$")
MOBILE_NETWORK_CODES = frozenset(
    {"32", "33", "34", "35", "36", "37", "38", "39", "52", "55", "56", "58", "59", "70", "76", "77", "78", "79"}
    | {str(n) for n in range(81, 100)}
)
# The 11-digit numbers (01xx xxx xxxx) that were moved to 10 digits in 2018: code 31.
OLD_ELEVEN_DIGIT = re.compile(r"^(?:0|84)1[2-9]\d{8}$")


@dataclass
class Account:
    username: str
    password: str
    key: str
    senders: tuple[str, ...]  # in config order: the first is the one the samples use
    balance: float
    price: float = 1.0
    allowed_ips: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    activated: bool = True
    expired: bool = False
    service_expired: bool = False
    unicode: bool = False

    def ip_allowed(self, remote: str | None) -> bool:
        if not self.allowed_ips:
            return True
        if remote is None:
            return False
        try:
            address = ipaddress.ip_address(remote.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.allowed_ips)


# Account flags, checked in this order after the credentials and the IP: (flag, value that refuses, row).
ACCOUNT_STATES: tuple[tuple[str, bool, str], ...] = (
    ("activated", False, "ACCOUNT_NOT_ACTIVATED"),
    ("expired", True, "ACCOUNT_EXPIRED"),
    ("service_expired", True, "SERVICE_EXPIRED"),
)


def normalize_phone(value: Any) -> str:
    """The number in national form ``0XXXXXXXXX``; raises -4, 31 or 10 as the seed describes."""
    if not isinstance(value, str) or not PHONE_SHAPE.match(value):
        raise VendorError("INCORRECT_PHONE_FORMAT")
    digits = value.lstrip("+")
    if OLD_ELEVEN_DIGIT.match(digits):
        raise VendorError("EXTENSION_CHANGED")
    m = MOBILE.match(digits)
    if m is None or m[1][:2] not in MOBILE_NETWORK_CODES:
        raise VendorError("SUBSCRIBER_FORMAT_INCORRECT")
    return "0" + m[1]


def phone_fact(value: Any) -> str:
    """The recipient as scenario rules see it: the national form when valid, else as given."""
    try:
        return normalize_phone(value)
    except VendorError:
        return value if isinstance(value, str) else str(value)


def check_code(account: Account, value: Any) -> str:
    """The OTP digits: 1 to 6 ASCII digits (11), non-ASCII on a non-Unicode account is 20."""
    if not isinstance(value, str):
        raise VendorError("INVALID_PARAMETERS")
    if not value.isascii() and not account.unicode:
        raise VendorError("UNICODE_NOT_SUPPORTED")
    if not (1 <= len(value) <= MAX_CODE_DIGITS and value.isascii() and value.isdigit()):
        raise VendorError("INVALID_PARAMETERS")
    return value


def whole(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


def voice_code(message: Message) -> int:
    """checkVoice's answer for a call: 1 answered, 23 busy / no answer, 27 still ringing."""
    if message.status == DELIVERED:
        return VOICE_ANSWERED
    if message.status in FINAL_STATES:
        return VOICE_FAILED
    return VOICE_PENDING


def _networks(values: Any, username: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(value, strict=False) for value in values)
    except ValueError as exc:
        raise ConfigError([f"vendors.voiceotp: account {username}: allowed_ips: {exc}"]) from None


class VoiceOtpModel:
    def __init__(self, services: Services, config: Mapping[str, Any]) -> None:
        self.services = services
        self.accounts: dict[str, Account] = {}
        for a in config.get("accounts", []):
            self.accounts[a["username"]] = Account(
                username=a["username"],
                password=a["pass"],
                key=a["key"],
                senders=tuple(a.get("senders", ())),
                balance=a.get("balance", 0),
                price=a.get("price", 1),
                allowed_ips=_networks(a.get("allowed_ips") or (), a["username"]),
                activated=a.get("activated", True),
                expired=a.get("expired", False),
                service_expired=a.get("service_expired", False),
                unicode=a.get("unicode", False),
            )
        # (account, phone, code) -> when it was last accepted; oldest first, pruned as it ages,
        # and at most the newest journal_size of them (memory under load).
        self._recent: OrderedDict[tuple[str, str, str], float] = Newest(services.store.journal_size)

    # -- a saved world (Vendor.state / restore) -----------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "balance": {name: a.balance for name, a in self.accounts.items()},
            "recent": [[list(key), at] for key, at in self._recent.items()],
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        for name, balance in state.get("balance", {}).items():
            account = self.accounts.get(name)
            if account is not None:
                account.balance = balance
        for key, at in state.get("recent", []):
            self._recent[(key[0], key[1], key[2])] = at

    # -- who is calling ----------------------------------------------------------------------
    def authenticate(self, body: Mapping[str, Any]) -> Account:
        """username, pass and key must all match one account: -1 otherwise (missing ones too)."""
        username = body.get("username")
        account = self.accounts.get(username) if isinstance(username, str) else None
        if account is None or not same(body.get("pass"), account.password) or not same(body.get("key"), account.key):
            raise VendorError("USER_NOT_FOUND")
        return account

    @staticmethod
    def check_ip(account: Account, remote: str | None) -> None:
        if not account.ip_allowed(remote):
            raise VendorError("IP_NOT_ALLOWED")

    @staticmethod
    def check_state(account: Account) -> None:
        for flag, refusing, row in ACCOUNT_STATES:
            if getattr(account, flag) is refusing:
                raise VendorError(row)

    # -- postSMS -----------------------------------------------------------------------------
    def validate(self, account: Account, body: Mapping[str, Any]) -> tuple[str, str, str]:
        """(phone, sender, code) of a valid postSMS body, checked in the documented order."""
        if account.balance <= 0:
            raise VendorError("ACCOUNT_NOT_ENOUGH")
        phone = normalize_phone(body.get("phonesend"))
        sender = body.get("sender")
        if not isinstance(sender, str) or sender not in account.senders:
            raise VendorError("BRANDNAME_NOT_DECLARED")
        code = check_code(account, body.get("message"))
        if account.balance < account.price:
            raise VendorError("BALANCE_NOT_ENOUGH")
        if self._repeated(account, phone, code):
            raise VendorError("REPEAT_CONTENT")
        return phone, sender, code

    def _repeated(self, account: Account, phone: str, code: str) -> bool:
        now = self.services.clock.now()
        recent = self._recent
        while recent:
            _key, at = next(iter(recent.items()))
            if now - at < REPEAT_WINDOW:
                break
            recent.popitem(last=False)
        return (account.username, phone, code) in recent

    def accept(
        self, account: Account, phone: str, sender: str, code: str, request: RequestRecord, remote: str | None
    ) -> Message:
        """Charge the call, journal it, register the OTP and start the call's lifecycle."""
        services = self.services
        now = services.clock.now()
        account.balance -= account.price
        key = (account.username, phone, code)
        self._recent.pop(key, None)
        self._recent[key] = now
        request_id = services.rng.uuid4()
        message = services.accept_message(
            id=request_id,
            vendor=VENDOR,
            operation="otp_send",
            account=account.username,
            recipient=phone,
            text=code,
            sender=sender,
            encoding="voice",  # a call reading the code out: one unit, whatever the digits
            parts=1,
            credits=account.price,
            fields={"request_id": request_id, "remote": remote},
            request=request,
        )
        services.store.add_otp(
            OtpRecord(
                vendor=VENDOR,
                account=account.username,
                phone=phone,
                code=code,
                ref=None,
                created_at=now,
                expires_at=None,
                message_id=request_id,
                fields={"sender": sender},
            )
        )
        return message

    # -- checkVoice --------------------------------------------------------------------------
    def find_call(self, account: Account, request_id: Any) -> Message:
        message = self.services.store.get_message(request_id) if isinstance(request_id, str) else None
        if message is None or message.vendor != VENDOR or message.account != account.username:
            raise VendorError("INVALID_PARAMETERS")
        return message
