"""FPT SMS Brandname state and rules: accounts, OAuth2 tokens, sends, campaigns. No HTTP here.

Functions raise :class:`~mockserver.core.errors.VendorError` with a row name of ``errors.ERRORS``;
the routes render it as ``{error, error_description}``. Every time is read from the shared
clock and every random part of an id from the shared seeded generator.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from mockserver.core.bounded import Newest
from mockserver.core.clock import HO_CHI_MINH
from mockserver.core.errors import VendorError
from mockserver.core.secrets import same
from mockserver.core.store import ACCEPTED, CANCELLED, SCHEDULED, Message, RequestRecord
from mockserver.core.textparts import count_parts
from mockserver.engine.services import Services
from mockserver.vendors.fpt.errors import KNOWN_GRANT_TYPES
from mockserver.vendors.fpt.telcos import INTERNATIONAL_TELCO, telco_of

VENDOR = "fpt"
GRANT_TYPE = "client_credentials"
SCOPE_OTP = "send_brandname_otp"  # push-brandname-otp, push-brandname-international
SCOPE_ADS = "send_brandname"  # create-campaign, push-brandname-ads, cancel-ads
DEFAULT_EXPIRES_IN = 3600  # vendor notes
DEFAULT_DUPLICATE_WINDOW = 300.0  # vendor notes: 2501 within 5 minutes
DEFAULT_FIRST_MESSAGE_ID = 34379087  # one after the seed's example MessageId
DEFAULT_FIRST_CAMPAIGN_ID = 636  # the seed's CampaignCode starts with base64("635")
MAX_PARTS = 10  # our decision: a longer text is 1014
MAX_TOKENS = 100_000  # issued tokens kept; the oldest are forgotten first (then 1011)

# 84xxx, 0xxx, +84xxx, or the 9-digit national number without its 0 (clients that strip ``+84``)
VN_PHONE = re.compile(r"^(?:\+84|84|0)?(\d{9})$")
INTL_PHONE = re.compile(r"^\+?((?!84)[1-9]\d{7,14})$")
SCHEDULE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
SCHEDULE_FORMAT = "%Y-%m-%d %H:%M"
# The hours in which the operators let advertising reach handsets (seed 3.1; both ends included).
SEND_WINDOWS: tuple[tuple[time, time], ...] = ((time(8, 0), time(11, 30)), (time(13, 30), time(20, 0)))

# Token layout: base64(base64(id || HMAC-SHA256(client_secret, id))), like the seed's doubly
# encoded tokens. The MAC tells an altered token (1012) from an unknown one (1011).
TOKEN_ID_BYTES = 112
TOKEN_MAC_BYTES = 32
HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Account:
    client_id: str
    client_secret: str
    scopes: frozenset[str]
    brandnames: frozenset[str]
    partner_id: str
    expires_in: int
    bind_session_id: bool = False  # opt-in: a token only works with the session_id it was issued for


@dataclass(frozen=True)
class Token:
    value: str
    account: Account
    session_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None  # None: a pre-issued demo token that never expires

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


@dataclass
class Batch:
    id: str
    messages: list[Message]
    start_at: float  # when the operators send it
    cancelled: bool = False


@dataclass
class Campaign:
    code: str
    account: Account
    name: str
    brandname: str
    message: str
    schedule_time: str
    schedule_at: float
    quota: int
    used: int = 0
    batches: dict[str, Batch] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        return self.quota - self.used


# -- pure helpers -------------------------------------------------------------------------------
def sign(token_id: bytes, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), token_id, hashlib.sha256).digest()


def encode_token(token_id: bytes, secret: str) -> str:
    inner = base64.b64encode(token_id + sign(token_id, secret))
    return base64.b64encode(inner).decode("ascii")


def token_parts(value: str) -> tuple[bytes, bytes] | None:
    """(id, mac) of a string shaped like one of our tokens, else None."""
    try:
        raw = base64.b64decode(base64.b64decode(value, validate=True), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != TOKEN_ID_BYTES + TOKEN_MAC_BYTES:
        return None
    return raw[:TOKEN_ID_BYTES], raw[TOKEN_ID_BYTES:]


def nonempty_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def as_phone_text(value: Any) -> str | None:
    """A phone given as a string, or as a JSON number (PHP clients send both)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else None


def normalize_vn(value: Any) -> tuple[str, str] | None:
    """(``84xxxxxxxxx``, telco) of a Vietnamese mobile number given as 84xxx, 0xxx, +84xxx or the
    nine national digits without the 0, else None."""
    text = as_phone_text(value)
    m = VN_PHONE.match(text) if text is not None else None
    if m is None:
        return None
    telco = telco_of("0" + m[1])
    return (f"84{m[1]}", telco) if telco is not None else None


def normalize_international(value: Any) -> str | None:
    """A non-Vietnamese number in international form (country code first, ``+`` optional)."""
    text = as_phone_text(value)
    m = INTL_PHONE.match(text) if text is not None else None
    return m[1] if m else None


def decode_message(value: Any) -> str:
    """The UTF-8 text of a base64 ``Message``; anything else is 1014."""
    if not isinstance(value, str) or not value:
        raise VendorError("INVALID_PARAMETERS")
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise VendorError("INVALID_PARAMETERS") from None
    return check_text(text)


def check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip() or count_parts(text).parts > MAX_PARTS:
        raise VendorError("INVALID_PARAMETERS")
    return text


def as_quota(value: Any) -> int | None:
    """A quota given as an int or a string of digits (the seed's example sends ``"15000"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def in_send_window(moment: datetime) -> bool:
    t = moment.timetz().replace(tzinfo=None)
    return any(start <= t <= end for start, end in SEND_WINDOWS)


def next_send_moment(at: float) -> float:
    """``at`` itself inside a send window, else the start of the next window (Asia/Ho_Chi_Minh)."""
    moment = datetime.fromtimestamp(at, HO_CHI_MINH)
    if in_send_window(moment):
        return at
    for day in range(2):
        date = moment.date() + timedelta(days=day)
        for start, _ in SEND_WINDOWS:
            candidate = datetime.combine(date, start, HO_CHI_MINH)
            if candidate > moment:
                return candidate.timestamp()
    raise AssertionError("unreachable: a window starts every day")


class FptModel:
    vendor = VENDOR

    def __init__(self, services: Services, config: Mapping[str, Any]) -> None:
        self.services = services
        self.duplicate_window = float(config.get("duplicate_window_seconds", DEFAULT_DUPLICATE_WINDOW))
        self.accounts: dict[str, Account] = {}
        self.tokens: OrderedDict[str, Token] = OrderedDict()
        for a in config.get("accounts", []):
            scopes = a.get("scopes", [SCOPE_OTP, SCOPE_ADS])
            account = Account(
                client_id=a["client_id"],
                client_secret=a["client_secret"],
                scopes=frozenset(scopes.split() if isinstance(scopes, str) else scopes),
                brandnames=frozenset(a.get("brandnames", [])),
                partner_id=str(a.get("partner_id", "")),
                expires_in=int(a.get("expires_in", DEFAULT_EXPIRES_IN)),
                bind_session_id=bool(a.get("bind_session_id", False)),
            )
            self.accounts[account.client_id] = account
            for t in a.get("tokens", []):
                scopes_of = tuple(dict.fromkeys(t.get("scope", " ".join(sorted(account.scopes))).split()))
                self.tokens[t["access_token"]] = Token(
                    t["access_token"], account, t["session_id"], scopes_of, 0.0, t.get("expires_at")
                )
        self.next_message_id = int(config.get("first_message_id", DEFAULT_FIRST_MESSAGE_ID))
        self.next_campaign_id = int(config.get("first_campaign_id", DEFAULT_FIRST_CAMPAIGN_ID))
        self.campaigns: dict[str, Campaign] = {}
        self.campaign_names: set[tuple[str, str]] = set()  # (client_id, CampaignName)
        # (client, phone, text) -> when; the newest journal_size sends (memory) within the window
        self.last_sent: OrderedDict[tuple[str, str, str], float] = Newest(services.store.journal_size)

    # -- a saved world (Vendor.state / restore) -----------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Issued tokens, id counters, campaigns (their batches name their messages by id) and
        the duplicate window; accounts and pre-issued tokens come from the config."""
        return {
            "tokens": [
                [t.value, t.account.client_id, t.session_id, list(t.scopes), t.issued_at, t.expires_at]
                for t in self.tokens.values()
            ],
            "next_message_id": self.next_message_id,
            "next_campaign_id": self.next_campaign_id,
            "campaigns": [
                {
                    "code": c.code,
                    "client_id": c.account.client_id,
                    "name": c.name,
                    "brandname": c.brandname,
                    "message": c.message,
                    "schedule_time": c.schedule_time,
                    "schedule_at": c.schedule_at,
                    "quota": c.quota,
                    "used": c.used,
                    "batches": [
                        [b.id, [m.id for m in b.messages], b.start_at, b.cancelled] for b in c.batches.values()
                    ],
                }
                for c in self.campaigns.values()
            ],
            "last_sent": [[list(key), at] for key, at in self.last_sent.items()],
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        tokens: OrderedDict[str, Token] = OrderedDict()
        for value, client_id, session_id, scopes, issued_at, expires_at in state.get("tokens", []):
            account = self.accounts.get(client_id)
            if account is not None:
                tokens[value] = Token(value, account, session_id, tuple(scopes), issued_at, expires_at)
        for value, token in self.tokens.items():  # pre-issued ones the config added since
            tokens.setdefault(value, token)
        self.tokens = tokens
        self.next_message_id = int(state.get("next_message_id", self.next_message_id))
        self.next_campaign_id = int(state.get("next_campaign_id", self.next_campaign_id))
        get = self.services.store.get_message
        for c in state.get("campaigns", []):
            account = self.accounts.get(c["client_id"])
            if account is None:
                continue
            campaign = Campaign(
                c["code"], account, c["name"], c["brandname"], c["message"],
                c["schedule_time"], c["schedule_at"], c["quota"], c["used"],
            )  # fmt: skip
            for batch_id, ids, start_at, cancelled in c["batches"]:
                messages = [m for m in map(get, ids) if m is not None]  # the journal may have dropped some
                campaign.batches[batch_id] = Batch(batch_id, messages, start_at, cancelled)
            self.campaigns[campaign.code] = campaign
            self.campaign_names.add((account.client_id, campaign.name))
        for key, at in state.get("last_sent", []):
            self.last_sent[(key[0], key[1], key[2])] = at

    # -- OAuth2 ------------------------------------------------------------------------------
    def client(self, body: Mapping[str, Any]) -> Account:
        """The account of a token request: grant type (1009/1015), then client credentials (1008)."""
        grant = body.get("grant_type")
        if grant != GRANT_TYPE:
            known = isinstance(grant, str) and grant in KNOWN_GRANT_TYPES  # {} or [] are not hashable
            raise VendorError("UNSUPPORTED_GRANT_TYPE" if known else "INVALID_GRANT")
        client_id, secret = body.get("client_id"), body.get("client_secret")
        account = self.accounts.get(client_id) if isinstance(client_id, str) else None
        if account is None or not isinstance(secret, str):
            raise VendorError("INVALID_CLIENT")
        if not same(secret, account.client_secret):
            raise VendorError("INVALID_CLIENT")
        return account

    def issue_token(self, account: Account, body: Mapping[str, Any]) -> Token:
        """A new token bound to the request's scopes (1005) and session_id (1001)."""
        scope = body.get("scope")
        scopes = tuple(dict.fromkeys(scope.split())) if isinstance(scope, str) else ()
        if not scopes or not set(scopes) <= account.scopes:
            raise VendorError("INVALID_SCOPE")
        session_id = nonempty_str(body.get("session_id"))
        if session_id is None:
            raise VendorError("INVALID_REQUEST")
        now = self.services.clock.now()
        value = encode_token(self.services.rng.random.randbytes(TOKEN_ID_BYTES), account.client_secret)
        token = Token(value, account, session_id, scopes, now, now + account.expires_in)
        self.tokens[value] = token
        while len(self.tokens) > MAX_TOKENS:
            self.tokens.popitem(last=False)
        return token

    def authorize(self, value: Any, session_id: Any, scope: str) -> Token:
        """The token of an API call: required fields (1001), known (1011) and intact (1012),
        not expired (1013), for this API's scope (1010); issued for this session_id (1011) only when
        the account opts in with ``bind_session_id`` (public clients and the seed's own examples
        send another session_id than the token request's, so the real service cannot bind them)."""
        if value is None or nonempty_str(session_id) is None:
            raise VendorError("INVALID_REQUEST")
        token = self.tokens.get(value) if isinstance(value, str) else None
        if token is None:
            raise VendorError(self._why_unknown(value))
        if token.expires_at is not None and self.services.clock.now() >= token.expires_at:
            raise VendorError("TOKEN_EXPIRED")
        if token.account.bind_session_id and session_id != token.session_id:
            raise VendorError("INVALID_TOKEN")
        if scope not in token.scopes:
            raise VendorError("INSUFFICIENT_SCOPE")
        return token

    def _why_unknown(self, value: Any) -> str:
        """1012 for a token-shaped string whose MAC no account's secret made, else 1011
        (garbage, or one of ours that was forgotten: issued before a reset)."""
        parts = token_parts(value) if isinstance(value, str) else None
        if parts is None:
            return "INVALID_TOKEN"
        token_id, mac = parts
        if any(same(mac, sign(token_id, a.client_secret)) for a in self.accounts.values()):
            return "INVALID_TOKEN"
        return "TOKEN_ALTERED"

    # -- single sends ------------------------------------------------------------------------
    def brandname(self, account: Account, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise VendorError("INVALID_PARAMETERS")
        if value not in account.brandnames:
            raise VendorError("BRANDNAME_NOT_REGISTERED")
        return value

    def request_id(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise VendorError("INVALID_PARAMETERS")
        return str(value)

    def check_duplicate(self, account: Account, phone: str, text: str) -> None:
        now = self.services.clock.now()
        last = self.last_sent.get((account.client_id, phone, text))
        if last is not None and now - last < self.duplicate_window:
            raise VendorError("DUPLICATE_MESSAGE")

    def remember_sent(self, account: Account, phone: str, text: str) -> None:
        now = self.services.clock.now()
        key = (account.client_id, phone, text)
        self.last_sent[key] = now
        self.last_sent.move_to_end(key)
        while self.last_sent:  # oldest first: forget what can no longer be a duplicate
            first_key, at = next(iter(self.last_sent.items()))
            if now - at < self.duplicate_window:
                break
            del self.last_sent[first_key]

    def send_single(
        self,
        token: Token,
        body: Mapping[str, Any],
        *,
        operation: str,
        international: bool,
        request: RequestRecord | None,
    ) -> tuple[Message, dict[str, Any]]:
        """push-brandname-otp / push-brandname-international: validate, journal, answer."""
        account = token.account
        brand = self.brandname(account, body.get("BrandName"))
        if international:
            phone, telco = normalize_international(body.get("Phone")), INTERNATIONAL_TELCO
            if phone is None:
                raise VendorError("INVALID_PARAMETERS")
        else:
            found = normalize_vn(body.get("Phone"))
            if found is None:
                raise VendorError("INVALID_PARAMETERS")
            phone, telco = found
        text = decode_message(body.get("Message"))
        request_id = self.request_id(body.get("RequestId"))
        self.check_duplicate(account, phone, text)
        message_id = self.next_message_id
        self.next_message_id += 1
        fields: dict[str, Any] = {"Telco": telco, "PartnerId": account.partner_id, "session_id": token.session_id}
        if request_id is not None:
            fields["RequestId"] = request_id
        message = self._journal(account, str(message_id), operation, phone, text, brand, fields, request)
        self.remember_sent(account, phone, text)
        answer: dict[str, Any] = {
            "MessageId": message_id,
            "BrandName": brand,
            "Phone": phone,
            "Message": text,
            "PartnerId": account.partner_id,
            "Telco": telco,
        }
        if request_id is not None:
            answer["RequestId"] = request_id
        return message, answer

    def _journal(
        self,
        account: Account,
        message_id: str,
        operation: str,
        phone: str,
        text: str,
        brand: str,
        fields: dict[str, Any],
        request: RequestRecord | None,
        start_at: float | None = None,
    ) -> Message:
        """Journal one accepted SMS and start its delivery (at ``start_at`` for a campaign)."""
        return self.services.accept_message(
            id=message_id,
            vendor=self.vendor,
            operation=operation,
            account=account.client_id,
            recipient=phone,
            text=text,
            sender=brand,
            fields=fields,
            request=request,
            start_at=start_at,
        )

    # -- campaigns ---------------------------------------------------------------------------
    def create_campaign(self, token: Token, body: Mapping[str, Any]) -> Campaign:
        account = token.account
        name = nonempty_str(body.get("CampaignName"))
        if name is None:
            raise VendorError("INVALID_PARAMETERS")
        brand = self.brandname(account, body.get("BrandName"))
        text = check_text(body.get("Message"))
        schedule_time, schedule_at = self.schedule(body.get("ScheduleTime"))
        quota = as_quota(body.get("Quota"))
        if quota is None:
            raise VendorError("INVALID_PARAMETERS")
        if (account.client_id, name) in self.campaign_names:
            raise VendorError("INVALID_PARAMETERS")
        code = self.new_campaign_code()
        campaign = Campaign(code, account, name, brand, text, schedule_time, schedule_at, quota)
        self.campaigns[code] = campaign
        self.campaign_names.add((account.client_id, name))
        return campaign

    def schedule(self, value: Any) -> tuple[str, float]:
        """``yyyy-mm-dd HH:ii`` in Asia/Ho_Chi_Minh, in the future and inside a send window."""
        if not isinstance(value, str) or not SCHEDULE_TIME.match(value):
            raise VendorError("INVALID_PARAMETERS")
        try:
            moment = datetime.strptime(value, SCHEDULE_FORMAT).replace(tzinfo=HO_CHI_MINH)
        except ValueError:
            raise VendorError("INVALID_PARAMETERS") from None
        if moment.timestamp() <= self.services.clock.now() or not in_send_window(moment):
            raise VendorError("INVALID_PARAMETERS")
        return value, moment.timestamp()

    def new_campaign_code(self) -> str:
        """base64 of an increasing campaign number (unpadded) + a PHP ``uniqid()``: 8 hex digits of
        Unix seconds and 5 of microseconds, as in the seed's ``NjM1575fbf9aa0929``."""
        number = base64.b64encode(str(self.next_campaign_id).encode()).decode().rstrip("=")
        self.next_campaign_id += 1
        seconds = int(self.services.clock.now())
        return f"{number}{seconds:08x}{self.services.rng.token(5, HEX)}"

    def campaign(self, account: Account, code: Any) -> Campaign:
        campaign = self.campaigns.get(code) if isinstance(code, str) else None
        if campaign is None or campaign.account.client_id != account.client_id:
            raise VendorError("INVALID_PARAMETERS")
        return campaign

    def recipients(self, value: Any) -> list[tuple[str, str]]:
        """The valid, distinct numbers of a comma-separated PhoneList, in order; the others are
        skipped (a trailing comma, as some clients send, is harmless). None valid: 1014."""
        if not isinstance(value, str):
            raise VendorError("INVALID_PARAMETERS")
        seen: dict[str, str] = {}
        for item in value.split(","):
            found = normalize_vn(item)
            if found is not None:
                seen.setdefault(*found)
        if not seen:
            raise VendorError("INVALID_PARAMETERS")
        return list(seen.items())

    def push_ads(self, token: Token, body: Mapping[str, Any], request: RequestRecord | None) -> tuple[Campaign, Batch]:
        account = token.account
        campaign = self.campaign(account, body.get("CampaignCode"))
        phones = self.recipients(body.get("PhoneList"))
        if len(phones) > campaign.remaining:
            raise VendorError("QUOTA_EXCEEDED")
        now = self.services.clock.now()
        batch_id = self.new_batch_id(campaign, now)
        start_at = next_send_moment(max(campaign.schedule_at, now))
        batch = Batch(batch_id, [], start_at)
        for phone, telco in phones:
            fields = {
                "Telco": telco,
                "PartnerId": account.partner_id,
                "CampaignCode": campaign.code,
                "CampaignName": campaign.name,
                "BatchId": batch_id,
                "ScheduleTime": campaign.schedule_time,
            }
            # The seed: "BatchId + phone number (84xxx) gives the message id" (PHP concatenation).
            message = self._journal(
                account,
                f"{batch_id}{phone}",
                "send_ads",
                phone,
                campaign.message,
                campaign.brandname,
                fields,
                request,
                start_at=start_at,
            )
            batch.messages.append(message)
        campaign.used += len(phones)
        campaign.batches[batch_id] = batch
        return campaign, batch

    def new_batch_id(self, campaign: Campaign, now: float) -> str:
        while True:
            batch_id = f"qc.{int(now)}.{self.services.rng.digits(4)}"
            if batch_id not in campaign.batches:
                return batch_id

    def cancel_ads(self, token: Token, body: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """(success, fail): batches not sent yet are cancelled and give their quota back; a batch
        cancelled before is listed in ``success`` again (cancelling is idempotent)."""
        campaign = self.campaign(token.account, body.get("CampaignCode"))
        now = self.services.clock.now()
        success: list[str] = []
        fail: list[str] = []
        for batch in campaign.batches.values():
            if batch.cancelled:
                success.append(batch.id)
            elif self.is_sent(batch, now):
                fail.append(batch.id)
            else:
                for message in batch.messages:
                    self.services.delivery.cancel(message, CANCELLED)
                batch.cancelled = True
                campaign.used -= len(batch.messages)
                success.append(batch.id)
        return success, fail

    @staticmethod
    def is_sent(batch: Batch, now: float) -> bool:
        """A batch is sent once its send moment has come, or once any of its messages moved on
        (``POST /_mock/messages/{id}/deliver`` can finish one early)."""
        return now >= batch.start_at or any(m.status not in (ACCEPTED, SCHEDULED) for m in batch.messages)

    # -- for the vendor ----------------------------------------------------------------------
    def first_token(self) -> Token:
        """The first pre-issued (never-expiring) token of the config: sample requests use it."""
        for token in self.tokens.values():
            if token.expires_at is None:
                return token
        raise LookupError("fpt: the config has no pre-issued token (accounts[].tokens)")
