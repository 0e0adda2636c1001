"""The reference client against a real server: typed results, polling a call to its end, balance."""

from __future__ import annotations

import time

import pytest

from mockserver.clients.voiceotp import (
    VoiceOtpClient,
    VoiceOtpProtocolError,
    VoiceOtpTimeout,
    parse_balance,
    parse_check,
    parse_send,
)

from .helpers import BASE


@pytest.fixture
async def voice_client():
    """``voice_client(test_client)``: a VoiceOtpClient on the server's real port, closed afterwards."""
    made: list[VoiceOtpClient] = []

    def make(test_client, username: str = "demo", password: str = "demo-voice-pass") -> VoiceOtpClient:
        client = VoiceOtpClient(str(test_client.make_url(BASE)), username, password, "demo-voice-key")
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def test_an_answered_call(aiohttp_client, make_app, voice_client) -> None:
    # The call rings for 0.4 s (real time), long enough to read 27 before it is answered.
    voice = voice_client(await aiohttp_client(make_app({"delivery": {"sent_after": 0.1, "final_after": 0.4}})))
    sent = await voice.send("0361234567", "123456")
    assert sent.ok
    assert (sent.code, sent.name) == (1, "SUCCESS")
    assert sent.meaning_vi == "Thành công tiếp nhận tin nhắn thành công"
    first = await voice.check(sent.request_id)
    assert (first.code, first.state, first.done) == (27, "pending", False)
    status = await voice.wait(sent.request_id, timeout=5, interval=0.02)
    assert (status.code, status.state, status.answered) == (1, "answered", True)
    assert (status.meaning_en, status.meaning_vi) == ("SUCCESS", "Người nhận bắt máy")


async def test_a_busy_call(aiohttp_client, make_app, scenario_file, voice_client) -> None:
    path = scenario_file(
        [{"match": {"vendor": "voiceotp", "recipient": "0912345678"}, "delivery": {"status": "failed"}}]
    )
    voice = voice_client(await aiohttp_client(make_app(scenarios=[path])))
    busy = await voice.send("0912345678", "4711")
    other = await voice.send("0361234567", "4711")
    status = await voice.wait(busy.request_id, timeout=5, interval=0.02)
    assert (status.code, status.state, status.answered) == (23, "failed", False)
    assert status.meaning_vi.startswith("Các t.h trạng thái bao gồm : BUSY,NO ANSWER")
    assert (await voice.wait(other.request_id, timeout=5, interval=0.02)).state == "answered"


async def test_a_call_that_stays_pending_times_the_poll_out(
    aiohttp_client, make_app, scenario_file, voice_client
) -> None:
    path = scenario_file([{"match": {"vendor": "voiceotp"}, "delivery": {"status": "pending"}}])
    voice = voice_client(await aiohttp_client(make_app(scenarios=[path])))
    sent = await voice.send("0361234567", "123456")
    started = time.monotonic()
    with pytest.raises(VoiceOtpTimeout) as caught:
        await voice.wait(sent.request_id, timeout=0.3, interval=0.05)
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 2
    assert caught.value.request_id == sent.request_id
    assert (caught.value.last.code, caught.value.last.state) == (27, "pending")


async def test_refusals_are_typed_with_both_meanings(client, voice_client) -> None:
    voice = voice_client(client)
    refused = await voice.send("0212345678", "123456")
    assert not refused.ok
    assert (refused.code, refused.name, refused.request_id) == (10, "SUBSCRIBER_FORMAT_INCORRECT", None)
    assert refused.meaning_vi.startswith("Định dạng thuê bao không đúng")
    unknown = await voice.check("1dc7b7eb-a9e7-4162-91cd-6027d95b290c")  # the seed's example id
    assert (unknown.code, unknown.state, unknown.done) == (11, "error", True)
    assert (await voice.wait("1dc7b7eb-a9e7-4162-91cd-6027d95b290c", timeout=1)).code == 11


async def test_the_balance_goes_down_per_call(client, voice_client) -> None:
    voice = voice_client(client)
    before = await voice.balance()
    assert (before.ok, before.balance) == (True, 10)
    for n, code in enumerate(("1", "22", "333"), start=1):
        assert (await voice.send("0361234567", code)).ok
        assert (await voice.balance()).balance == 10 - n
    wrong = voice_client(client, password="wrong")
    bad = await wrong.balance()
    assert (bad.ok, bad.errorcode, bad.balance) == (False, "0", 0)
    assert bad.meaning_vi == "không thành công hoặc sai user/pass/key"
    assert (await wrong.send("0361234567", "9")).code == -1
    await wrong.close()


@pytest.mark.parametrize("body", ["", "OK", "1,,,", "<html>502</html>"])
def test_answers_outside_the_document_are_protocol_errors(body) -> None:
    with pytest.raises(VoiceOtpProtocolError):
        parse_send(502, body)
    with pytest.raises(VoiceOtpProtocolError):
        parse_check(502, body)
    with pytest.raises(VoiceOtpProtocolError):
        parse_balance(502, body)
