"""SendBulkSMS: per-item validation, totals and data[] exactly as the seed's examples."""

from __future__ import annotations

from tests.conftest import services_of
from tests.smartsmsbulk.conftest import BULK, post, sms


async def test_all_valid_matches_the_seed_shape(client):
    items = [
        sms("66818593778", "สวัสดีครับ วันนี้อากาศสดใส", user=6, callbackUrl="https://partner.com/callback"),
        sms("66818593779", "สวัสดีครับ วันนี้อากาศสดใส", user=6, callbackUrl="https://partner.com/callback"),
    ]
    _, answer, _ = await post(client, BULK, items)
    assert list(answer) == ["status", "detail", "totalSubmit", "totalValid", "totalInvalid", "data"]
    assert (
        answer["status"],
        answer["detail"],
        answer["totalSubmit"],
        answer["totalValid"],
        answer["totalInvalid"],
    ) == ("OK", "", 2, 2, 0)
    for item, sent in zip(answer["data"], items, strict=True):
        assert list(item) == ["status", "detail", "refId", "smsReqBody"]
        assert item["status"] == "OK" and item["detail"] is None
        assert list(item["smsReqBody"]) == [
            "phoneNo",
            "userId",
            "senderId",
            "chksum",
            "message",
            "partnerId",
            "callbackUrl",
        ]
        assert item["smsReqBody"]["chksum"] == sent["chksum"] and item["smsReqBody"]["userId"] == 6
    assert len(services_of(client).store.messages) == 2


async def test_mixed_items_send_the_valid_ones(client):
    bad = sms("66818593778", user=6) | {"chksum": "226be1agafa45bc8909a45011b60f"}
    items = [bad, sms("66818593779", user=6), sms("12345", user=6)]
    _, answer, _ = await post(client, BULK, items)
    assert (answer["status"], answer["detail"], answer["totalValid"], answer["totalInvalid"]) == ("OK", "", 1, 2)
    assert [d["detail"] for d in answer["data"]] == ["Invalid checksum", None, "Invalid format parameter phoneNo"]
    assert all(d["refId"] for d in answer["data"])  # invalid items get a refId too, as in the seed
    sent = services_of(client).store.messages
    assert [m.recipient for m in sent.values()] == ["66818593779"]


async def test_none_valid_is_the_seed_failure(client):
    items = [sms(user=6) | {"chksum": "x"}, sms(user=6) | {"chksum": "y"}]
    _, answer, _ = await post(client, BULK, items)
    assert (
        answer["status"],
        answer["detail"],
        answer["totalSubmit"],
        answer["totalValid"],
        answer["totalInvalid"],
    ) == ("ERR", "Not found data for send SMS.", 2, 0, 2)
    assert [d["status"] for d in answer["data"]] == ["ERR", "ERR"]


async def test_one_hundred_items_pass_and_one_hundred_and_one_send_nothing(client):
    _, answer, _ = await post(client, BULK, [sms(f"668000{i:05d}") for i in range(100)])
    assert answer["totalValid"] == 100
    _, answer, _ = await post(client, BULK, [sms() for _ in range(101)])
    assert answer == {
        "status": "ERR",
        "detail": "Maximum 100 phone numbers per request",
        "totalSubmit": 101,
        "totalValid": 0,
        "totalInvalid": 101,
        "data": [],
    }
    assert len(services_of(client).store.messages) == 100


async def test_item_that_is_not_an_object(client):
    _, answer, _ = await post(client, BULK, ["nope", sms()])
    assert answer["data"][0] == {
        "status": "ERR",
        "detail": "Invalid request body",
        "refId": answer["data"][0]["refId"],
        "smsReqBody": None,
    }
    assert answer["totalValid"] == 1


async def test_empty_array(client):
    _, answer, _ = await post(client, BULK, [])
    assert (
        answer["status"] == "ERR" and answer["detail"] == "Not found data for send SMS." and answer["totalSubmit"] == 0
    )
