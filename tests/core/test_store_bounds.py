"""The store's tables stay within ``journal_size``: a server that sees ever new numbers (a soak,
a long CI run with generated phones) must not keep one OTP per number forever."""

from __future__ import annotations

from mockserver.core import store as store_module
from mockserver.core.store import MESSAGE_DELETED, Message, OtpRecord, RequestRecord, Store, header_block


def _otp(phone: str, code: str, at: float) -> OtpRecord:
    return OtpRecord(
        vendor="voiceotp", account="demo", phone=phone, code=code, ref=None, created_at=at, expires_at=None
    )


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


def _message(message_id: str, at: float) -> Message:
    return Message(
        id=message_id, vendor="ants", operation="send", account="demo", recipient="66899900000",
        text="hi", sender="ANTS", encoding="GSM-7", parts=1, credits=1.0, created_at=at,
    )  # fmt: skip


def test_removing_a_message_frees_its_place_and_is_not_counted_as_dropped():
    store = Store(journal_size=3)
    heard: list[tuple[str, str]] = []
    store.listeners.append(lambda kind, obj: heard.append((kind, obj.id)))
    for n in range(3):
        store.add_message(_message(f"m{n}", float(n)))
    removed = store.remove_message("m1")
    assert removed is not None and removed.id == "m1" and heard[-1] == (MESSAGE_DELETED, "m1")
    assert store.remove_message("m1") is None and heard[-1] == (MESSAGE_DELETED, "m1")  # nothing twice
    store.add_message(_message("m3", 3.0))  # the freed place: nothing dropped yet
    assert list(store.messages) == ["m0", "m2", "m3"] and store.dropped_messages == 0
    store.add_message(_message("m4", 4.0))
    assert list(store.messages) == ["m2", "m3", "m4"] and store.dropped_messages == 1
    assert [m.id for m in store.find_messages(since=2.0)] == ["m4", "m3", "m2"]  # still in arrival order
    store.set_status(removed, "delivered", 5.0)  # its lifecycle may run on: no event about it
    assert removed.status == "delivered" and heard[-1] == ("message", "m4")


def test_a_new_otp_for_a_known_phone_replaces_it_without_growing():
    store = Store(journal_size=2)
    for n in range(5):
        store.add_otp(_otp("0391000001", f"{n:06d}", float(n)))
    assert len(store.otps) == 1 and store.latest_otp(None, "0391000001").code == "000004"


def test_newest_keeps_the_newest_keys_and_a_key_stored_again_is_newest():
    from mockserver.core.bounded import Newest

    table: Newest[str, int] = Newest(3)
    for n, key in enumerate("abcd"):
        table[key] = n
    assert list(table) == ["b", "c", "d"]
    table["b"] = 9  # stored again: now the newest
    table["e"] = 5
    assert list(table.items()) == [("d", 3), ("b", 9), ("e", 5)]


async def test_vendor_tables_that_grow_with_traffic_stay_within_the_journal_size(aiohttp_client, make_app):
    """Duplicate-check windows (FPT, Voice OTP) and OTP tables keep the newest journal_size
    entries, and the newest still do their job (a repeat is still refused)."""
    from mockserver.app import SERVICES

    app = make_app({"server": {"journal_size": 4}})
    client = await aiohttp_client(app)
    vendors = app[SERVICES].vendors
    for name, table in (("fpt", lambda m: m.last_sent), ("voiceotp", lambda m: m._recent)):
        vendor = vendors[name]
        samples = [vendor.sample_send(vendor.sample_recipient(100 + n), f"{n:06d}") for n in range(10)]
        for sample in samples:
            resp = await client.request(sample.method, sample.path, data=sample.body, headers=dict(sample.headers))
            assert resp.status == 200, await resp.text()
        assert len(table(vendor.model)) == 4, name
        newest = samples[-1]
        await client.request(newest.method, newest.path, data=newest.body, headers=dict(newest.headers))
        assert app[SERVICES].store.requests[-1].outcome != "ok", f"{name}: a repeat of the newest send was accepted"


def test_requests_with_the_same_headers_share_one_header_block_and_still_show_their_own():
    headers = ((b"Host", b"mock"), (b"Content-Type", b"application/json"))
    first = RequestRecord("POST", "/send", header_block(headers), b"{}")
    second = RequestRecord("POST", "/send", header_block(tuple(headers)), b"{}")
    other = RequestRecord("POST", "/send", header_block(((b"Host", b"other"),)), b"{}")
    assert first.head is second.head  # one block in memory for the two journaled requests
    assert second.headers == {"Host": "mock", "Content-Type": "application/json"}
    assert other.headers == {"Host": "other"}


def test_the_shared_header_blocks_stay_bounded_when_every_request_has_new_headers():
    for n in range(store_module.HEAD_BLOCKS_KEPT * 2):
        header_block(((b"X-Trace", str(n).encode()),))
    assert len(store_module._head_blocks) <= store_module.HEAD_BLOCKS_KEPT
