"""The store's tables stay within ``journal_size``: a server that sees ever new numbers (a soak,
a long CI run with generated phones) must not keep one OTP per number forever."""

from __future__ import annotations

from mockserver.store import OtpRecord, Store


def _otp(phone: str, code: str, at: float) -> OtpRecord:
    return OtpRecord(vendor="voiceotp", account="demo", phone=phone, code=code, ref=None, created_at=at, expires_at=None)


def test_otps_past_the_cap_forget_the_phone_whose_latest_otp_is_oldest():
    store = Store(journal_size=3)
    for n, phone in enumerate(["0391000001", "0391000002", "0391000003"]):
        store.add_otp(_otp(phone, f"00000{n}", float(n)))
    store.add_otp(_otp("0391000001", "111111", 10.0))  # a new OTP: this phone is the newest again
    store.add_otp(_otp("0391000004", "444444", 11.0))
    assert len(store.otps) == 3
    assert store.latest_otp("voiceotp", "0391000002") is None  # the oldest latest OTP went
    assert store.latest_otp("voiceotp", "0391000001").code == "111111"
    assert store.latest_otp("voiceotp", "0391000003").code == "000002"
    assert store.latest_otp("voiceotp", "0391000004").code == "444444"


def test_a_new_otp_for_a_known_phone_replaces_it_without_growing():
    store = Store(journal_size=2)
    for n in range(5):
        store.add_otp(_otp("0391000001", f"{n:06d}", float(n)))
    assert len(store.otps) == 1 and store.latest_otp(None, "0391000001").code == "000004"
